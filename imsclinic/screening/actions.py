"""Writes for screening: evaluation requests, their queue status, intake into a patient, and the
public "book an assessment" flow. Each action is atomic and records one audit event."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from imsclinic.audit.services import appends_last, record
from imsclinic.core.db import write_transaction
from imsclinic.patients.actions import create_patient
from imsclinic.patients.duplicates import exact_match, find_duplicates
from imsclinic.scheduling.actions import book_appointment, lock_practitioner
from imsclinic.scheduling.models import BookedVia, Kind
from imsclinic.screening.models import EvaluationRequest, Outcome, RequestStatus, Source
from imsclinic.screening.services import screen_for_clinic


class ScreeningError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


CONTACT_FIELDS = ("given_name", "family_name", "email", "phone", "date_of_birth", "message")


def _build_request(*, clinic, contact, screening, source, patient=None, status=None):
    result = screen_for_clinic(screening["answers"], clinic)  # raises InvalidAnswersError
    from imsclinic.knowledge import validate_answers

    clean, _ = validate_answers(screening["answers"])
    if not (contact.get("email") or contact.get("phone")):
        raise ScreeningError("Leave an email address or a phone number.", field="email")
    if not contact.get("date_of_birth") and screening.get("date_of_birth"):
        # Asked once, in the screening (it gives the age): it becomes the request's and, on
        # intake, the patient's date of birth.
        contact = {**contact, "date_of_birth": _date(screening["date_of_birth"])}
    return EvaluationRequest.objects.create(
        clinic=clinic,
        source=source,
        status=status or RequestStatus.NEW,
        patient=patient,
        answers=clean,
        outcome=result.outcome,
        reasons=[r.to_dict() for r in result.reasons],
        pain_regions=list(screening.get("pain_regions", [])),
        treatments_tried=list(screening.get("treatments_tried", [])),
        treatments_other=screening.get("treatments_other", "")[:300],
        **{k: contact.get(k) or ("" if k != "date_of_birth" else None) for k in CONTACT_FIELDS},
    )


@transaction.atomic
def create_request(
    *, clinic, contact: dict, screening: dict, by=None, source=Source.PUBLIC, patient=None
) -> EvaluationRequest:
    """Store a self-screening with contact details. The outcome is recomputed here from the
    answers, never taken from the browser."""
    evaluation = _build_request(
        clinic=clinic, contact=contact, screening=screening, source=source, patient=patient
    )
    record(
        by=by,
        action="evaluation_request.create",
        target=evaluation,
        clinic=clinic,
        patient=patient,
        summary=f"Evaluation request ({evaluation.outcome}, {source})",
        details={"outcome": evaluation.outcome, "source": source},
    )
    return evaluation


@transaction.atomic
def set_request_status(*, evaluation: EvaluationRequest, status: str, by, note: str = ""):
    """Move a request through the queue (new, contacted, booked, declined)."""
    if status not in RequestStatus.values:
        raise ScreeningError("Choose a status.", field="status")
    locked = EvaluationRequest.objects.select_for_update().get(pk=evaluation.pk)
    previous = locked.status
    locked.status = status
    locked.status_changed_at = timezone.now()
    locked.status_changed_by = by
    fields = ["status", "status_changed_at", "status_changed_by", "updated_at"]
    if note.strip():
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        locked.staff_note = (
            locked.staff_note + f"\n[{stamp} {by.username}] {note.strip()}"
        ).strip()
        fields.append("staff_note")
    locked.save(update_fields=fields)
    record(
        by=by,
        action="evaluation_request.status",
        target=locked,
        clinic=locked.clinic_id,
        patient=locked.patient,
        summary=f"{previous} → {status}",
        details={"from": previous, "to": status, "note": bool(note.strip())},
    )
    return locked


class PossibleDuplicates(ScreeningError):
    """Registering would open a chart that may already exist: staff choose one of `candidates`
    (patients.duplicates.Candidate) or register anyway."""

    def __init__(self, candidates):
        super().__init__(
            "This person may already have a chart. Attach the request to it, or confirm that "
            "this is a different person."
        )
        self.candidates = candidates


def _link(locked, patient, by):
    locked.patient = patient
    if locked.status == RequestStatus.NEW:
        locked.status = RequestStatus.CONTACTED
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
    locked.save(
        update_fields=["patient", "status", "status_changed_at", "status_changed_by", "updated_at"]
    )


def _unlinked(evaluation) -> EvaluationRequest:
    locked = EvaluationRequest.objects.select_for_update().get(pk=evaluation.pk)
    if locked.patient_id is not None:
        raise ScreeningError("This request is already linked to a patient.")
    return locked


@write_transaction  # registers a patient: retried if it deadlocks with another write
def create_patient_from_request(
    *, evaluation: EvaluationRequest, by, fields: dict, register_anyway: bool = False
):
    """Register the person as a patient and link the screening as their intake, with the same
    duplicate check as registration by hand (patients.duplicates):

    - exactly one exact match (same names and birth date, and the same email or phone, which
      the person gave and so confirmed) links the request to that chart; no new chart;
    - other possible matches raise PossibleDuplicates with the candidates, unless staff
      `register_anyway` (the audit event then names the charts registered past).

    Refuses a request that already has a patient (two staff clicking at once get one patient).
    Returns the patient, new or existing (`patient.intake_attached` is True for an existing one).
    """
    locked = _unlinked(evaluation)
    person = {key: fields.get(key) or "" for key in ("given_name", "family_name", "email", "phone")}
    candidates = find_duplicates(
        clinic=locked.clinic, date_of_birth=fields.get("date_of_birth"), **person
    )
    exact = [c.patient for c in candidates if c.exact]
    if len(exact) == 1 and not register_anyway:
        patient = exact[0]
        _link(locked, patient, by)
        record(
            by=by,
            action="evaluation_request.attach",
            target=locked,
            clinic=locked.clinic_id,
            patient=patient,
            summary=f"Screening attached to the existing chart {patient.chart_number} "
            "(exact match)",
            details={"exact_match": True},
        )
        patient.intake_attached = True
        return patient
    if candidates and not register_anyway:
        raise PossibleDuplicates(candidates)
    patient = create_patient(
        clinic=locked.clinic,
        by=by,
        fields=fields,
        despite_candidates=[c.patient.chart_number for c in candidates],
    )
    _link(locked, patient, by)
    record(
        by=by,
        action="evaluation_request.intake",
        target=locked,
        clinic=locked.clinic_id,
        patient=patient,
        summary=f"Screening became intake of chart {patient.chart_number}",
    )
    patient.intake_attached = False
    return patient


@transaction.atomic
def attach_request_to_patient(*, evaluation: EvaluationRequest, patient, by):
    """Link the screening to an existing chart of the same clinic instead of registering a new
    one (staff chose it among the possible duplicates)."""
    locked = _unlinked(evaluation)
    if patient.clinic_id != locked.clinic_id or not patient.is_active:
        raise ScreeningError("Choose an active chart of this clinic.")
    _link(locked, patient, by)
    record(
        by=by,
        action="evaluation_request.attach",
        target=locked,
        clinic=locked.clinic_id,
        patient=patient,
        summary=f"Screening attached to the existing chart {patient.chart_number}",
        details={"exact_match": False},
    )
    return patient


@write_transaction  # registers and books: retried if it deadlocks with another write
@appends_last  # creates the patient (audited), then locks the practitioner to book
def book_assessment_online(
    *, clinic, contact: dict, screening: dict, practitioner, starts_at, mode
):
    """The public flow: a new person books an initial assessment after self-screening.

    Creates the patient (an appointment needs one), the evaluation request (status booked,
    linked as intake) and the appointment in one transaction: if the slot was taken a moment ago,
    nothing is saved. Someone screened not_suitable is refused.
    """
    result = screen_for_clinic(screening["answers"], clinic)
    if result.outcome == Outcome.NOT_SUITABLE:
        raise ScreeningError(
            "Your answers show that needle treatment is not suitable now, so we cannot book an "
            "assessment online. Please call the clinic to talk about other options."
        )
    if not contact.get("date_of_birth"):
        raise ScreeningError("Enter your date of birth.", field="date_of_birth")
    patient_fields = {
        "given_name": contact["given_name"],
        "family_name": contact["family_name"],
        "date_of_birth": contact["date_of_birth"],
        "email": contact.get("email", ""),
        "phone": contact.get("phone", ""),
    }
    # The practitioner's row before registering: registering appends to the audit chain, whose
    # lock comes last in the lock order (docs/performance.md), and the booking needs this row.
    lock_practitioner(practitioner)
    # The same person booking again gets their chart back, not a new one: only on an exact match
    # (name, birth date, and the email or phone they gave), since a visitor proves nothing more.
    patient = exact_match(clinic=clinic, **patient_fields)
    attached = patient is not None
    if patient is None:
        patient = create_patient(clinic=clinic, by=None, fields=patient_fields)
    appointment = book_appointment(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=starts_at,
        mode=mode,
        by=None,
        via=BookedVia.ONLINE,
        notes="Booked online after self-screening.",
    )
    evaluation = _build_request(
        clinic=clinic,
        contact=contact,
        screening=screening,
        source=Source.ONLINE_BOOKING,
        patient=patient,
        status=RequestStatus.BOOKED,
    )
    record(
        by=None,
        action="evaluation_request.book_online",
        target=evaluation,
        clinic=clinic,
        patient=patient,
        summary=f"Booked an initial assessment online ({evaluation.outcome})",
        details={
            "outcome": evaluation.outcome,
            "appointment": str(appointment.uuid),
            "existing_chart": attached,
        },
    )
    return appointment


@transaction.atomic
def save_clinic_page(*, clinic, by, about_ims: str, what_to_expect: str):
    """Replace the clinic's public page text. Clinic admins only (checked here, not only in the
    view)."""
    from imsclinic.accounts.models import Role
    from imsclinic.screening.models import ClinicPage

    if not by.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only the clinic's admin edits its public page.")
    about_ims, what_to_expect = about_ims.strip(), what_to_expect.strip()
    if not about_ims or not what_to_expect:
        raise ScreeningError("Both texts need some words: the page shows them to every visitor.")
    # Two first edits at once: the insert that loses is ignored and both lock the one row.
    ClinicPage.objects.bulk_create(
        [ClinicPage(clinic=clinic, about_ims="", what_to_expect="")], ignore_conflicts=True
    )
    page = ClinicPage.objects.select_for_update().get(clinic=clinic)
    changed = [
        name
        for name, value in (("about_ims", about_ims), ("what_to_expect", what_to_expect))
        if getattr(page, name) != value
    ]
    page.about_ims, page.what_to_expect, page.updated_by = about_ims, what_to_expect, by
    page.save()
    record(
        by=by,
        action="clinic_page.save",
        target=page,
        clinic=clinic,
        summary="Edited the clinic's public page",
        details={"fields": changed},
    )
    return page


def _check_window(appointment, now):
    from imsclinic.scheduling.models import Status, cancellation_hours

    if appointment.status != Status.BOOKED:
        raise ScreeningError(
            f"This visit is {appointment.get_status_display().lower()}: it cannot be changed."
        )
    if not appointment.can_be_cancelled_by_patient(now):
        hours = cancellation_hours(appointment.clinic)
        raise ScreeningError(
            f"Visits can be changed or cancelled online up to {hours:g} hours before they start. "
            f"Please call {appointment.clinic.name}."
        )


@transaction.atomic
def cancel_online(*, appointment, reason: str = ""):
    """A booker cancels through the signed link in their email, inside the clinic's window."""
    from imsclinic.scheduling.actions import cancel_appointment
    from imsclinic.scheduling.models import Appointment

    locked = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    _check_window(locked, timezone.now())
    return cancel_appointment(
        appointment=locked,
        by=None,
        reason=reason or "Cancelled by the patient from the email link.",
        via=BookedVia.ONLINE,
    )


@transaction.atomic
@appends_last  # cancels (audited), then locks the practitioner to book the new time
def reschedule_online(*, appointment, practitioner, starts_at):
    """A booker moves their visit through the signed link, inside the clinic's window.

    The old visit is cancelled and the new one booked in one transaction (a taken time leaves
    the old visit booked); the new visit's confirmation email carries a fresh link and .ics.
    """
    from imsclinic.scheduling.models import Appointment

    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient")
        .get(pk=appointment.pk)
    )
    _check_window(locked, timezone.now())
    cancel_online(appointment=locked, reason="Rescheduled by the patient from the email link.")
    new = book_appointment(
        clinic=locked.clinic,
        patient=locked.patient,
        practitioner=practitioner,
        kind=locked.kind,
        starts_at=starts_at,
        mode=locked.mode,
        video_url=locked.video_url,
        by=None,
        via=BookedVia.ONLINE,
        notes=f"Rescheduled online from {locked.starts_at.isoformat()}.",
    )
    record(
        by=None,
        action="appointment.reschedule_online",
        target=new,
        clinic=locked.clinic,
        patient=locked.patient,
        summary="Rescheduled online from the email link",
        details={"from": str(locked.uuid), "to": str(new.uuid)},
    )
    return new
