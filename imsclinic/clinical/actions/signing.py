"""The signing rules: why a session or assessment may not be signed yet.

Called by the sign actions (never only by forms), so the UI, the API and commands refuse alike.
Each reason is a full sentence that tells the practitioner exactly what to fix.
"""

from imsclinic.clinical import safety
from imsclinic.clinical.models import consent_problems


class SigningRefused(Exception):
    """A record could not be signed; `reasons` lists every problem found, in order."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def authorisation_problems(user, *, on, clinic) -> list[str]:
    if user.current_needling_authorisation(on=on, jurisdiction=clinic.jurisdiction) is None:
        return [
            f"{user.display_name} has no needling authorisation for {clinic.jurisdiction} that "
            f"is current on {on:%Y-%m-%d}. Only an authorised practitioner can sign a needling "
            "record."
        ]
    return []


def session_refusals(session, *, by) -> list[str]:
    """Every reason the session cannot be signed by `by` (empty: it can)."""
    reasons = []
    rows = list(session.needling_rows.all())
    if session.is_signed:
        return ["This session is already signed."]
    if by.pk != session.practitioner_id:
        reasons.append("Only the practitioner who charted this session can sign it.")
    if session.needles_in != session.needles_out:
        reasons.append(
            f"Needle count does not match: {session.needles_in} in, {session.needles_out} out. "
            "Find and count every needle before signing."
        )
    if not (session.precheck or {}).get("checked"):
        reasons.append("The pre-session check for new contraindications has not been completed.")
    precautions = safety.patient_precautions(session.patient, session=session)
    reasons += safety.absolute_problems(precautions, rows)
    if rows:
        thorax = any(safety.is_thorax_muscle(row.muscle_id) for row in rows)
        reasons += consent_problems(session.patient, thorax=thorax)
    else:
        reasons.append("No needling rows are charted.")
    reasons += authorisation_problems(by, on=session.local_date, clinic=session.clinic)
    for row in rows:
        if safety.muscle_or_none(row.muscle_id) is None:
            reasons.append(f"Row {row.order}: {row.muscle_id!r} is not a known muscle.")
        elif safety.is_over_depth(row.muscle_id, row.depth_mm) and not row.depth_acknowledged:
            facts = safety.muscle_facts(row.muscle_id)
            reasons.append(
                f"{facts['name']} ({row.get_side_display()}): depth {row.depth_mm} mm is beyond "
                f"the guidance of {facts['depth_min']}-{facts['depth_max']} mm and has not been "
                "acknowledged."
            )
    clean = session.clean_technique or {}
    missing = [
        label
        for key, label in (
            ("skin_prep", "skin prep"),
            ("hand_hygiene", "hand hygiene"),
            ("sharps", "sharps disposal"),
        )
        if not clean.get(key)
    ]
    if rows and missing:
        reasons.append("Clean needle technique not confirmed: " + ", ".join(missing) + ".")
    return reasons


def assessment_refusals(assessment, *, by) -> list[str]:
    """Why the assessment cannot be signed. An assessment that proposes needling (accepted
    segments) is held to the needling rules: no absolute contraindication, valid consent and a
    current authorisation. One without a needling plan (e.g. 'not suitable') can always be
    signed by its practitioner."""
    if assessment.is_signed:
        return ["This assessment is already signed."]
    reasons = []
    if by.pk != assessment.practitioner_id:
        reasons.append("Only the practitioner who wrote this assessment can sign it.")
    if not assessment.proposes_needling:
        return reasons
    precautions = safety.screening_precautions(
        assessment.screening_answers, source="assessment screening"
    )
    reasons += [
        reason + " Remove the accepted segments to sign the assessment without a needling plan."
        for reason in safety.absolute_problems([p for p in precautions if p.blocks])
    ]
    reasons += consent_problems(assessment.patient, thorax=False)
    reasons += authorisation_problems(by, on=assessment.assessed_on, clinic=assessment.clinic)
    return reasons
