"""Gunn's segmental examination by spinal level, and the re-test of signs after needling."""

from django.db import transaction

from imsclinic.audit.services import record
from imsclinic.clinical import engine
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.models import (
    SPINAL_LEVELS,
    Assessment,
    SignRetest,
    SpinalLevelFinding,
    TreatmentSession,
)

MAX_RETESTS = 40


def _clean_level_finding(raw: dict) -> tuple[str, str, str, str]:
    structure, level = raw.get("structure"), raw.get("level")
    side, state = raw.get("side"), raw.get("state")
    if structure not in SpinalLevelFinding.Structure.values:
        raise ClinicalError("A level finding is on the paraspinal muscles or a spinous process.")
    if level not in SPINAL_LEVELS:
        raise ClinicalError(f"{level!r} is not a spinal level from C1 to S2.")
    if side not in SpinalLevelFinding.Side.values or (
        structure == SpinalLevelFinding.Structure.PARASPINAL and side == "M"
    ):
        raise ClinicalError(
            "Paraspinal findings are left or right; spinous-process findings are left, right "
            "or midline."
        )
    if state not in SpinalLevelFinding.State.values:
        raise ClinicalError("A level finding is tender or taut.")
    return structure, level, side, state


@transaction.atomic
def set_level_findings(*, assessment, by, findings: list[dict]) -> list[SpinalLevelFinding]:
    """Replace the assessment's spinal-level findings with `findings` (the whole grid as
    submitted) and refresh the engine's suggestion. Everything is checked before anything is
    written, so a bad cell saves nothing."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    locked.assert_editable()
    wanted = list(dict.fromkeys(_clean_level_finding(raw) for raw in findings))
    locked.level_findings.all().delete()
    rows = SpinalLevelFinding.objects.bulk_create(
        SpinalLevelFinding(assessment=locked, structure=st, level=lv, side=sd, state=sa)
        for st, lv, sd, sa in wanted
    )
    locked.suggested_segments = engine.suggest(locked)
    locked.save(update_fields=["suggested_segments", "updated_at"])
    record(
        by=by,
        action="assessment.levels.set",
        target=locked,
        patient=locked.patient,
        summary=f"Spinal palpation: {len(rows)} level findings",
        details={"count": len(rows)},
    )
    return rows


def retest_candidates(session) -> list[dict]:
    """What was abnormal at the patient's latest assessment, to re-test after needling:
    ranges of motion (with the value then as "before"), level findings and Gunn signs."""
    assessment = (
        Assessment.objects.filter(patient_id=session.patient_id)
        .order_by("-assessed_on", "-id")
        .prefetch_related("level_findings")
        .first()
    )
    if assessment is None:
        return []
    candidates = [
        {"what": row["movement"], "before": row.get("value", "")}
        for row in assessment.range_of_motion or []
        if row.get("movement")
    ]
    candidates += [
        {
            "what": f"{finding.level} {finding.get_side_display().lower()} "
            f"{'paraspinal' if finding.structure == 'paraspinal' else 'spinous process'}",
            "before": finding.get_state_display(),
        }
        for finding in assessment.level_findings.all()
    ]
    done = set(session.retests.values_list("what", flat=True)) if session.pk else set()
    return [c for c in candidates if c["what"] not in done]


@transaction.atomic
def add_retest(*, session, by, what: str, before: str, after: str) -> SignRetest:
    """Record one sign or range of motion re-tested after needling (before -> after)."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    locked.assert_editable()
    what, before, after = (" ".join((v or "").split()) for v in (what, before, after))
    if not (what and before and after):
        raise ClinicalError("A re-test needs what was tested, the finding before and after.")
    if len(what) > 200 or len(before) > 100 or len(after) > 100:
        raise ClinicalError("Keep a re-test short: what (200 characters), before and after (100).")
    if locked.retests.count() >= MAX_RETESTS:
        raise ClinicalError(f"A session holds at most {MAX_RETESTS} re-tests.")
    retest = SignRetest.objects.create(session=locked, what=what, before=before, after=after)
    record(
        by=by,
        action="session.retest.add",
        target=locked,
        patient=locked.patient,
        summary=f"Re-test {what}: {before} → {after}",
    )
    return retest


@transaction.atomic
def remove_retest(*, retest, by) -> None:
    locked = TreatmentSession.objects.select_for_update().get(pk=retest.session_id)
    locked.assert_editable()
    retest.delete()
    record(
        by=by,
        action="session.retest.remove",
        target=locked,
        patient=locked.patient,
        summary=f"Removed re-test {retest.what}",
    )
