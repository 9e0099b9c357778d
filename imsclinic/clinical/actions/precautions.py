"""Resolving a patient's precautions (clearances, reasoned decisions) and keeping the course
plan in step with them."""

import datetime

from django.db import transaction
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical import engine, safety
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.actions.signing import actor_problems
from imsclinic.clinical.models import (
    CourseOfCare,
    PrecautionClearance,
    PrecautionDecision,
    TreatmentSession,
)
from imsclinic.knowledge import load_knowledge


def _precaution_name(precaution_id: str) -> str:
    item = load_knowledge().contraindications.get(precaution_id or "")
    if item is None:
        raise ClinicalError("Choose the precaution this record resolves.")
    return item.name


def _require_practitioner(by, clinic, on) -> None:
    problems = actor_problems(by, on=on, clinic=clinic)
    if problems:
        raise ClinicalError(" ".join(problems))


@transaction.atomic
def record_clearance(
    *,
    patient,
    by,
    precaution_id: str,
    cleared_by: str,
    cleared_on: datetime.date,
    method: str,
    document_reference: str = "",
    valid_until: datetime.date | None = None,
    note: str = "",
    session=None,
) -> PrecautionClearance:
    """Record who cleared a precaution, when and how (e.g. the prescribing physician)."""
    name = _precaution_name(precaution_id)
    _require_practitioner(by, patient.clinic, patient.clinic.today())
    cleared_by = (cleared_by or "").strip()
    if not cleared_by:
        raise ClinicalError("Say who cleared it, e.g. 'Dr Chen, prescribing physician'.")
    if method not in PrecautionClearance.Method.values:
        raise ClinicalError("Say how the clearance was given (letter, call, message, in person).")
    if cleared_on is None or cleared_on > patient.clinic.today():
        raise ClinicalError("A clearance date cannot be in the future.")
    if valid_until is not None and valid_until < cleared_on:
        raise ClinicalError("A clearance cannot end before it was given.")
    if session is not None and session.patient_id != patient.pk:
        raise ClinicalError("That session belongs to another patient.")
    clearance = PrecautionClearance.objects.create(
        patient=patient,
        clinic=patient.clinic,
        session=session,
        precaution_id=precaution_id,
        cleared_by=cleared_by[:200],
        cleared_on=cleared_on,
        method=method,
        document_reference=(document_reference or "").strip()[:200],
        valid_until=valid_until,
        note=(note or "").strip(),
        recorded_by=by,
    )
    record(
        by=by,
        action="precaution.clear",
        target=clearance,
        patient=patient,
        summary=f"{name} cleared by {clearance.cleared_by} on {cleared_on:%Y-%m-%d}",
        details={"precaution": precaution_id, "method": method},
    )
    return clearance


@transaction.atomic
def record_decision(
    *, session, by, precaution_id: str, reasoning: str, adapted_sites: list[dict]
) -> PrecautionDecision:
    """The practitioner's reasoned decision to needle despite a precaution, naming the sites
    adapted. Only on a draft session, by its practitioner."""
    locked = (
        TreatmentSession.objects.select_for_update(of=("self",))  # not the clinic's row
        .select_related("clinic")
        .get(pk=session.pk)
    )
    locked.assert_editable()
    name = _precaution_name(precaution_id)
    if by.pk != locked.practitioner_id:
        raise ClinicalError("Only the practitioner who charts this session can record a decision.")
    _require_practitioner(by, locked.clinic, locked.local_date)
    reasoning = (reasoning or "").strip()
    if len(reasoning) < 10:
        raise ClinicalError("Give your reasoning in a sentence: what you weighed and adapted.")
    kb = load_knowledge()
    sites = []
    for site in adapted_sites or []:
        if site.get("muscle_id") not in kb.muscles or site.get("side") not in ("L", "R", "B"):
            raise ClinicalError("Each adapted site is a known muscle with a side.")
        sites.append({"muscle_id": site["muscle_id"], "side": site["side"]})
    if not sites:
        raise ClinicalError("Name the sites you adapted for this precaution.")
    decision = PrecautionDecision.objects.create(
        session=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        precaution_id=precaution_id,
        reasoning=reasoning,
        adapted_sites=sites,
        recorded_by=by,
    )
    record(
        by=by,
        action="precaution.decide",
        target=decision,
        patient=locked.patient,
        summary=f"Decision on {name}: {len(sites)} sites adapted",
        details={"precaution": precaution_id, "sites": sites},
    )
    return decision


def cleared_today(patient) -> set[str]:
    day = patient.clinic.today()
    return {
        c.precaution_id
        for c in PrecautionClearance.objects.filter(patient=patient)
        if c.covers(day)
    }


def excluded_targets(target_muscles: list[dict], precautions, cleared: set[str]) -> list[dict]:
    """Course target muscles that the patient's precautions exclude (the knowledge site rule)."""

    class _Row:
        def __init__(self, muscle_id, side):
            self.muscle_id, self.side = muscle_id, side

    excluded = []
    for target in target_muscles:
        row = _Row(target.get("muscle_id"), target.get("side"))
        for item, exclusion in safety.row_exclusions(row, precautions):
            if exclusion.liftable and item.id in cleared:
                continue
            excluded.append({**target, "reason": exclusion.reason})
            break
    return excluded


def review_course_plan(course: CourseOfCare, precautions, *, force: bool = False) -> bool:
    """Recompute the course plan against the patient's precautions when they changed; flag the
    course when the set changed or its target muscles are now excluded. Saves; True if flagged
    anew. Called when a session or assessment is signed and when a course starts."""
    ids = sorted({p.id for p in precautions})
    previous = course.plan_review or {}
    if not force and previous.get("precautions") == ids:
        return False
    cleared = cleared_today(course.patient)
    excluded = excluded_targets(course.target_muscles or [], precautions, cleared)
    plan = engine.plan_for(
        course.target_segments or [],
        [safety.engine_precaution(p) for p in precautions],
        cleared=cleared,
    )
    changed = "precautions" in previous and previous.get("precautions") != ids
    flagged = bool(excluded) or changed
    course.plan_review = {
        "flagged": flagged,
        "precautions": ids,
        "precaution_names": [p.name for p in precautions],
        "excluded": excluded,
        "plan": plan,
        "checked_at": timezone.now().isoformat(),
    }
    CourseOfCare.objects.filter(pk=course.pk).update(
        plan_review=course.plan_review, updated_at=timezone.now()
    )
    return flagged
