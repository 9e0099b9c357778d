"""Run the knowledge engines on an assessment: ranked segments and a suggested plan.

The result is a JSON-ready snapshot stored on the assessment (`suggested_segments`) so the chart
shows what the engine said at the time, even after the knowledge base changes.
"""

from imsclinic.clinical import safety
from imsclinic.knowledge import infer_segments, located_precautions, suggest_plan

TOP_SEGMENTS = 8


def findings_for_engine(assessment, findings=None) -> list[dict]:
    """Muscle findings (grades merged per muscle and side) plus region-located Gunn signs."""
    findings = list(assessment.findings.all()) if findings is None else findings
    merged: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        merged.setdefault((finding.muscle_id, finding.side), []).append(finding.grade)
    rows: list[dict] = [
        {"muscle": muscle, "side": side, "grades": grades}
        for (muscle, side), grades in merged.items()
    ]
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


def plan_for(segment_labels: list[str], precautions: list) -> dict | None:
    if not segment_labels:
        return None
    targets = [parse_segment_label(label) for label in segment_labels]
    try:
        return suggest_plan(targets, precautions, max_per_segment=3).to_dict()
    except ValueError as error:
        return {"blocked": False, "items": [], "excluded": [], "warnings": [], "error": str(error)}
