"""The signing rules: why a session or assessment may not be signed yet.

Called by the sign actions (never only by forms), so the UI, the API and commands refuse alike.
Each reason is a full sentence that tells the practitioner exactly what to fix. Hard stops
(bilateral thorax, a depth past a thorax ceiling) cannot be acknowledged away.
"""

import datetime

from imsclinic.accounts.models import Role
from imsclinic.clinical import safety
from imsclinic.clinical.models import PrecautionClearance, consent_problems


class Fix:
    """Where each kind of refusal is fixed. The pages link a refusal to its fix by this kind
    (clinical/views/common.py), never by matching the sentence."""

    CONSENT = "consent"
    PRECHECK = "precheck"
    PRECAUTIONS = "precautions"
    NEEDLE_COUNT = "needle-count"
    CLEAN_TECHNIQUE = "clean-technique"
    NEEDLING_ROWS = "needling-rows"
    # A registration or needling authorisation that is missing or expired: the practitioner's
    # profile (a clinic admin: the person's page under staff, where it is recorded).
    CREDENTIALS = "credentials"


class Refusal(str):
    """One reason, as the sentence the practitioner reads, with the kind of fix it needs (or
    None). A str, so every caller that lists or joins reasons keeps working."""

    fix: str | None

    def __new__(cls, text: str, fix: str | None = None):
        refusal = super().__new__(cls, text)
        refusal.fix = fix
        return refusal


def _fixed_by(fix: str, reasons: list[str]) -> list[Refusal]:
    return [Refusal(reason, fix) for reason in reasons]


class SigningRefused(Exception):
    """A record could not be signed; `reasons` lists every problem found, in order."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def needle_count_problems(session, rows) -> list[str]:
    if not rows:
        return []
    if session.needles_in is None or session.needles_out is None:
        return [
            "The needle count is not recorded. Count every needle in and out, and enter both "
            "counts before signing."
        ]
    if session.needles_in == 0:
        return [
            f"{len(rows)} needling rows are charted but no needle is counted in. Count every "
            "needle in and out before signing."
        ]
    if session.needles_in != session.needles_out:
        return [
            f"Needle count does not match: {session.needles_in} in, {session.needles_out} out. "
            "Find and count every needle before signing."
        ]
    return []


def current_registration(user, *, on: datetime.date, jurisdiction: str):
    return (
        user.registrations.filter(jurisdiction=jurisdiction)
        .exclude(expires_on__lt=on)
        .order_by("-expires_on")
        .first()
    )


def actor_problems(user, *, on, clinic) -> list[str]:
    """Who may chart and sign needling at `clinic` on `on`: a current practitioner membership
    there, a current professional registration and a current needling authorisation in the
    clinic's jurisdiction. All three, checked in the actions themselves."""
    name = user.display_name
    reasons = []
    if not user.has_role(clinic, Role.PRACTITIONER):
        reasons.append(
            f"{name} holds no current practitioner membership at {clinic.name}. Only a "
            "practitioner of this clinic can chart or sign needling."
        )
    if current_registration(user, on=on, jurisdiction=clinic.jurisdiction) is None:
        reasons.append(
            Refusal(
                f"{name} has no professional registration in {clinic.jurisdiction} that is "
                f"current on {on:%Y-%m-%d}.",
                Fix.CREDENTIALS,
            )
        )
    if user.current_needling_authorisation(on=on, jurisdiction=clinic.jurisdiction) is None:
        reasons.append(
            Refusal(
                f"{name} has no needling authorisation for {clinic.jurisdiction} that "
                f"is current on {on:%Y-%m-%d}. Only an authorised practitioner can sign a "
                "needling record.",
                Fix.CREDENTIALS,
            )
        )
    return reasons


def authorisation_problems(user, *, on, clinic) -> list[str]:
    """Kept for callers that check the actor (now: membership, registration, authorisation)."""
    return actor_problems(user, on=on, clinic=clinic)


def resolutions(session, precautions) -> tuple[set[str], dict[str, list]]:
    """(precaution ids cleared for the session's date, {precaution id: [decisions]})."""
    ids = [p.id for p in precautions]
    day = session.local_date
    cleared = {
        clearance.precaution_id
        for clearance in PrecautionClearance.objects.filter(
            patient_id=session.patient_id, precaution_id__in=ids
        )
        if clearance.covers(day)
    }
    decisions: dict[str, list] = {}
    if session.pk:
        for decision in session.precaution_decisions.filter(precaution_id__in=ids):
            decisions.setdefault(decision.precaution_id, []).append(decision)
    return cleared, decisions


def precaution_problems(session, rows, precautions) -> list[str]:
    """Unresolved precautions, and sites the precautions exclude."""
    reasons = []
    cleared, decisions = resolutions(session, precautions)
    for item in precautions:
        if item.kind == "relative" and item.id not in cleared and item.id not in decisions:
            reasons.append(
                f"Precaution not resolved: {item.name} ({item.source}). Record a clearance (who "
                "cleared it, when and how) or your reasoned decision naming the sites you "
                "adapted."
            )
    for row in rows:
        for item, exclusion in safety.row_exclusions(row, precautions):
            site = f"{safety.muscle_label(row.muscle_id)} ({row.get_side_display()})"
            if not exclusion.liftable:
                reasons.append(
                    f"{site} cannot be needled: {exclusion.reason} ({item.source}). "
                    "No needling there."
                )
                continue
            named = any(d.names_site(row.muscle_id, row.side) for d in decisions.get(item.id, []))
            if item.id not in cleared and not named:
                reasons.append(
                    f"{site} is excluded: {exclusion.reason} ({item.source}). Leave it out, "
                    f"record a clearance of {item.name.lower()}, or name the site in your "
                    "reasoned decision."
                )
    return reasons


def hard_stops(session, rows) -> list[str]:
    """Knowledge 'never' rules that no acknowledgement lifts."""
    reasons = []
    bilateral = safety.bilateral_thorax_reason(session, rows)
    if bilateral:
        reasons.append(f"Hard stop: {bilateral}")
    for row in rows:
        ceiling = safety.thorax_ceiling(row.muscle_id)
        if ceiling is not None and row.depth_mm is not None and row.depth_mm > ceiling:
            reasons.append(
                f"Hard stop: {safety.muscle_label(row.muscle_id)} ({row.get_side_display()}) at "
                f"{row.depth_mm} mm is past the {ceiling} mm ceiling for this muscle over the "
                "thorax (pleura beneath). This cannot be acknowledged."
            )
    return reasons


def session_refusals(session, *, by) -> list[str]:
    """Every reason the session cannot be signed by `by` (empty: it can)."""
    reasons = []
    rows = list(session.needling_rows.all())
    if session.is_signed:
        return ["This session is already signed."]
    if by.pk != session.practitioner_id:
        reasons.append("Only the practitioner who charted this session can sign it.")
    reasons += _fixed_by(Fix.NEEDLE_COUNT, needle_count_problems(session, rows))
    if not (session.precheck or {}).get("checked"):
        reasons.append(
            Refusal(
                "The pre-session check for new contraindications has not been completed.",
                Fix.PRECHECK,
            )
        )
    precautions = safety.patient_precautions(session.patient, session=session)
    reasons += _fixed_by(Fix.PRECAUTIONS, safety.absolute_problems(precautions, rows))
    reasons += _fixed_by(Fix.PRECAUTIONS, precaution_problems(session, rows, precautions))
    reasons += hard_stops(session, rows)
    if rows:
        thorax = any(safety.is_thorax_muscle(row.muscle_id) for row in rows)
        reasons += _fixed_by(Fix.CONSENT, consent_problems(session.patient, thorax=thorax))
    else:
        reasons.append(Refusal("No needling rows are charted.", Fix.NEEDLING_ROWS))
    reasons += actor_problems(by, on=session.local_date, clinic=session.clinic)
    for row in rows:
        if safety.muscle_or_none(row.muscle_id) is None:
            reasons.append(f"Row {row.order}: the muscle is not one the knowledge base knows.")
            continue
        if not row.response or not row.tolerance:
            # Gunn judges each site by what the needle met today; never a default or a copy.
            missing = " and ".join(
                word
                for word, value in (("response", row.response), ("tolerance", row.tolerance))
                if not value
            )
            facts = safety.muscle_facts(row.muscle_id)
            reasons.append(
                f"{facts['name']} ({row.get_side_display()}): record the {missing} seen today."
            )
        if safety.is_over_depth(row.muscle_id, row.depth_mm) and not row.depth_acknowledged:
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
        reasons.append(
            Refusal(
                "Clean needle technique not confirmed: " + ", ".join(missing) + ".",
                Fix.CLEAN_TECHNIQUE,
            )
        )
    return reasons


def assessment_refusals(assessment, *, by) -> list[str]:
    """Why the assessment cannot be signed. An assessment that proposes needling (accepted
    segments) is held to the needling rules: no absolute contraindication, valid consent and a
    practitioner who may needle here. One without a needling plan (e.g. 'not suitable') can
    always be signed by its practitioner."""
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
    reasons += _fixed_by(Fix.CONSENT, consent_problems(assessment.patient, thorax=False))
    reasons += actor_problems(by, on=assessment.assessed_on, clinic=assessment.clinic)
    return reasons
