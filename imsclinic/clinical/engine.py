"""Run the knowledge engines on an assessment: ranked segments and a suggested plan.

The result is a JSON-ready snapshot stored on the assessment (`suggested_segments`) so the chart
shows what the engine said at the time, even after the knowledge base changes.
"""

from imsclinic.clinical import safety
from imsclinic.knowledge import infer_segments, load_knowledge, located_precautions, suggest_plan

TOP_SEGMENTS = 8
# Knowledge Gunn signs the spinal palpation grid feeds to the engine, located on a segment.
PARASPINAL_SIGN = "paraspinal_tenderness"
SPINOUS_SIGN = "spinous_process_tenderness"


def paraspinal_muscle_at(level: str) -> str | None:
    """The knowledge base's segmental paraspinal row for a level (e.g. T4 ->
    thoracic_paraspinals_t4), or None where it has none (C1, C2)."""
    for muscle in load_knowledge().muscles.values():
        if muscle.paraspinal and muscle.level == level:
            return muscle.id
    return None


def level_findings_for_engine(level_findings) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """Turn spinal-level findings into the segment engine's input.

    Returns (muscle grades, sign findings):
    - paraspinal tenderness at a level with a knowledge paraspinal row becomes a finding on that
      muscle (the engine weighs it as strong evidence for its level and a little for the next
      levels), so the same muscle charted on the muscle list and on the grid counts once;
    - paraspinal tenderness at C1-C2 (no paraspinal row) becomes the paraspinal-tenderness sign
      on that segment;
    - spinous-process (supraspinous ligament) tenderness becomes the spinous-process sign on that
      segment; a midline finding has no side, so the engine reports that level without a side.
    Taut and tender at one place count as one finding.
    """
    muscle_grades: list[tuple[str, str, str]] = []
    signs: dict[tuple[str, str, str | None], dict] = {}
    for finding in level_findings:
        side = finding.side if finding.side in ("L", "R") else None
        if finding.structure == "paraspinal":
            muscle_id = paraspinal_muscle_at(finding.level)
            if muscle_id is not None:
                muscle_grades.append((muscle_id, finding.side, finding.state))
                continue
            sign = PARASPINAL_SIGN
        else:
            sign = SPINOUS_SIGN
        signs.setdefault(
            (sign, finding.level, side), {"sign": sign, "segment": finding.level, "side": side}
        )
    return muscle_grades, list(signs.values())


def findings_for_engine(assessment, findings=None, level_findings=None) -> list[dict]:
    """Muscle findings (grades merged per muscle and side), spinal-level findings and
    region-located Gunn signs."""
    findings = list(assessment.findings.all()) if findings is None else findings
    if level_findings is None:
        level_findings = list(assessment.level_findings.all()) if assessment.pk else []
    level_muscles, level_signs = level_findings_for_engine(level_findings)
    merged: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        merged.setdefault((finding.muscle_id, finding.side), []).append(finding.grade)
    for muscle_id, side, grade in level_muscles:
        merged.setdefault((muscle_id, side), []).append(grade)
    rows: list[dict] = [
        {"muscle": muscle, "side": side, "grades": grades}
        for (muscle, side), grades in merged.items()
    ]
    rows += level_signs
    for sign in assessment.gunn_signs or []:
        if sign.get("sign") and (sign.get("region") or sign.get("segment")):
            rows.append(
                {
                    "sign": sign["sign"],
                    "region": sign.get("region") or None,
                    "segment": sign.get("segment") or None,
                }
            )
    return rows


def segment_label(segment: str, side: str | None) -> str:
    return f"{segment}-{side}" if side else segment


def parse_segment_label(label: str) -> tuple[str, str | None]:
    """'C5-R' -> ('C5', 'R'); 'C5' -> ('C5', None)."""
    segment, _, side = label.partition("-")
    return segment, (side or None)


def suggest(assessment, findings=None) -> dict:
    """{"segments", "levels", "cranial", "warnings" (tie, does_not_localise), "suggested":
    ["L5-R", ...], "plan", "error"}."""
    rows = findings_for_engine(assessment, findings)
    if not rows:
        return {"segments": [], "levels": [], "suggested": [], "plan": None}
    try:
        inference = infer_segments(rows)
    except ValueError as error:  # an unknown muscle/sign slipped in: show, don't crash
        return {"segments": [], "levels": [], "suggested": [], "plan": None, "error": str(error)}
    # A side whose findings do not localise suggests no level (its warning says why).
    suggested = [
        segment_label(level, group.side)
        for group in inference.localising_levels
        for level in group.levels
    ]
    precautions = [
        p.id for p in safety.screening_precautions(assessment.screening_answers, source="screening")
    ]
    # Lymphoedema recorded by limb keeps that limb out of the plan.
    precautions += located_precautions(assessment.screening_answers or {})
    plan = plan_for(suggested, precautions)
    data = inference.to_dict()
    return {
        "segments": data["segments"][:TOP_SEGMENTS],
        "levels": data["levels"],
        "cranial": data["cranial"],
        "warnings": data["warnings"],
        "suggested": suggested,
        "plan": plan,
    }


def plan_for(segment_labels: list[str], precautions: list, cleared=()) -> dict | None:
    if not segment_labels:
        return None
    targets = [parse_segment_label(label) for label in segment_labels]
    try:
        return suggest_plan(targets, precautions, max_per_segment=3, cleared=cleared).to_dict()
    except ValueError as error:
        return {"blocked": False, "items": [], "excluded": [], "warnings": [], "error": str(error)}
