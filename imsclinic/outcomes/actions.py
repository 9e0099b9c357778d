"""Writes of the outcomes area. Each action is atomic and records exactly one audit event."""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.knowledge import score_instrument
from imsclinic.outcomes.instruments import UnknownInstrument, get_instrument
from imsclinic.outcomes.models import (
    ClinicInstrument,
    CompletedVia,
    QuestionnaireResponse,
    Timepoint,
)


class OutcomeError(ValueError):
    """A write refused with a message meant for the person who asked for it."""


def signed_sessions_in(course) -> int:
    if course is None:
        return 0
    return course.sessions.filter(signed_at__isnull=False).count()


@transaction.atomic
def record_response(
    *,
    patient,
    instrument_id: str,
    answers: dict,
    via: str,
    timepoint: str,
    by=None,
    course=None,
    completed_at=None,
) -> QuestionnaireResponse:
    """Score `answers` with the knowledge engine and store the scored observation.

    `by` is the staff member entering it in clinic (via="clinic") or None for the patient's own
    portal entry (the audit event then names the portal user through `actor`).
    Raises OutcomeError for an unknown instrument, invalid answers or a course of another patient.
    """
    if via not in CompletedVia.values:
        raise OutcomeError(f"Unknown completion route {via!r}.")
    if timepoint not in Timepoint.values:
        raise OutcomeError(f"Unknown timepoint {timepoint!r}.")
    if course is not None and course.patient_id != patient.pk:
        raise OutcomeError("That course of care belongs to another patient.")
    try:
        instrument = get_instrument(patient.clinic, instrument_id)
        score = score_instrument(instrument, answers)
    except (UnknownInstrument, ValueError) as exc:
        raise OutcomeError(str(exc)) from None
    response = QuestionnaireResponse.objects.create(
        patient=patient,
        clinic_id=patient.clinic_id,
        course=course,
        instrument_id=instrument.id,
        answers={k: v for k, v in answers.items()},
        total=score.total,
        subscales=score.subscales,
        normalised=score.normalised,
        interpretation=score.interpretation or "",
        completed_at=completed_at or timezone.now(),
        completed_via=via,
        entered_by=by if via == CompletedVia.CLINIC else None,
        timepoint=timepoint,
        session_number=signed_sessions_in(course),
    )
    actor = by if by is not None else getattr(patient, "portal_user", None)
    record(
        by=actor,
        action="outcome.response.record",
        target=response,
        patient=patient,
        summary=f"{instrument.abbreviation} ({response.get_timepoint_display()}) via {via}",
        details={"instrument": instrument.id, "timepoint": timepoint, "via": via},
    )
    return response


def parse_json_document(raw: str | bytes, *, what: str) -> dict:
    """Parse uploaded JSON into an object, with a message naming the line and column."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise OutcomeError(f"The {what} is not UTF-8 text.") from None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise OutcomeError(
            f"The {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(value, dict):
        raise OutcomeError(f"The {what} must be a JSON object.")
    return value


@transaction.atomic
def import_clinic_instrument(*, clinic, questionnaire: dict, scoring: dict, by) -> ClinicInstrument:
    """Validate a FHIR Questionnaire + scoring rule through the knowledge engine and store it.

    Raises OutcomeError with the engine's message for malformed input or a duplicate id.
    """
    from imsclinic.knowledge import instrument_from_fhir_questionnaire, load_knowledge

    try:
        instrument = instrument_from_fhir_questionnaire(questionnaire, scoring)
    except (ValueError, TypeError, KeyError) as exc:
        raise OutcomeError(f"The questionnaire cannot be used: {exc}") from None
    if instrument.id in load_knowledge().instruments:
        raise OutcomeError(
            f"{instrument.id!r} is a built-in instrument; give the clinic's own a different id."
        )
    try:
        with transaction.atomic():
            row = ClinicInstrument.objects.create(
                clinic=clinic,
                instrument_id=instrument.id,
                name=instrument.name,
                questionnaire=questionnaire,
                scoring=scoring,
                uploaded_by=by,
            )
    except IntegrityError:
        raise OutcomeError(
            f"This clinic already has an instrument {instrument.id!r}; deactivate it first."
        ) from None
    record(
        by=by,
        action="outcome.instrument.import",
        target=row,
        clinic=clinic,
        summary=f"Imported {instrument.abbreviation} ({len(instrument.items)} items)",
        details={"instrument": instrument.id, "items": len(instrument.items)},
    )
    return row


@transaction.atomic
def discharge_course(*, course, reason: str, by, on=None):
    """Discharge a course of care with a reason (clinical owns the model; this is the outcomes
    area's discharge step, which the course rules prompt for)."""
    from imsclinic.clinical.models import CourseOfCare

    reason = (reason or "").strip()
    if not reason:
        raise OutcomeError("Give a reason for the discharge.")
    locked = CourseOfCare.objects.select_for_update().get(pk=course.pk)
    if locked.status == CourseOfCare.Status.DISCHARGED:
        raise OutcomeError("This course was already discharged.")
    locked.status = CourseOfCare.Status.DISCHARGED
    locked.discharged_on = on or locked.clinic.today()
    locked.discharge_reason = reason[:2000]
    locked.save(update_fields=["status", "discharged_on", "discharge_reason", "updated_at"])
    record(
        by=by,
        action="course.discharge",
        target=locked,
        patient=locked.patient,
        summary="Discharged course of care",
        details={"fields": ["status", "discharged_on", "discharge_reason"]},
    )
    course.status, course.discharged_on = locked.status, locked.discharged_on
    course.discharge_reason = locked.discharge_reason
    return locked


@transaction.atomic
def record_analytics_export(*, clinic, by, filters: dict, rows: int) -> None:
    """Audit a CSV export of clinic analytics (aggregates only, no patient identifiers)."""
    record(
        by=by,
        action="analytics.export.csv",
        clinic=clinic,
        summary=f"Exported clinic analytics ({rows} rows)",
        details={"filters": {k: str(v) for k, v in filters.items() if v}},
    )
