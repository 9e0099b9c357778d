"""Waitlist writes. Each action is atomic and records one audit event of its own; booking goes
through scheduling.actions.book_appointment, so every patient rule applies (no overlapping
visits, the same-day needling rule, closures, the practitioner's hours, assessment first), and
that booking records its own `appointment.book` event as it does everywhere.

Lock order (docs/performance.md): the offer or entry the workflow starts from, then the
practitioner and the patient (book_appointment), then the entry, the audit chain last
(`@appends_last` holds the booking's event until the end).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from imsclinic.accounts.models import Role
from imsclinic.audit.services import appends_last, record
from imsclinic.core.db import write_transaction
from imsclinic.patients.models import Patient
from imsclinic.scheduling.actions import book_appointment, is_practitioner
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import BookedVia
from imsclinic.scheduling.waitlist.matching import free_slot, matches
from imsclinic.scheduling.waitlist.models import (
    ALL_DAYS,
    ALL_PARTS,
    OPEN_STATUSES,
    EntryStatus,
    OfferRecipient,
    OfferStatus,
    RecipientOutcome,
    WaitlistEntry,
    WaitlistOffer,
)

# How long a patient has to answer an offer, unless staff choose otherwise (hours).
DEFAULT_OFFER_HOURS = 4
MAX_OFFER_HOURS = 72
MAX_RECIPIENTS = 10
EDITABLE = ("service", "practitioner", "days", "day_parts", "earliest_date", "latest_date", "notes")


def _staff(by, clinic) -> None:
    if by is None or not by.has_role(clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK, Role.PRACTITIONER):
        raise PermissionDenied("Only the clinic's staff can change its waitlist.")


def _is_the_patient(by, patient) -> bool:
    own = getattr(by, "patient_record", None)
    return own is not None and own.pk == patient.pk


def _staff_or_the_patient(by, clinic, patient) -> None:
    """Staff manage the whole list; a patient (portal) only her own entries."""
    if not _is_the_patient(by, patient):
        _staff(by, clinic)


def _check_fields(*, clinic, patient, fields: dict) -> dict:
    service, practitioner = fields.get("service"), fields.get("practitioner")
    if patient.clinic_id != clinic.pk:
        raise BookingError("This patient belongs to another clinic.", field="patient")
    if service is None or service.clinic_id != clinic.pk or not service.is_active:
        raise BookingError("Choose one of this clinic's services.", field="service")
    if practitioner is not None and not is_practitioner(practitioner, clinic):
        raise BookingError(
            "Choose one of this clinic's practitioners, or any.", field="practitioner"
        )
    days, parts = fields.get("days", ALL_DAYS), fields.get("day_parts", ALL_PARTS)
    if not 1 <= days <= ALL_DAYS:
        raise BookingError("Tick at least one day the patient can come.", field="days")
    if not 1 <= parts <= ALL_PARTS:
        raise BookingError("Tick at least one part of the day.", field="day_parts")
    earliest, latest = fields.get("earliest_date"), fields.get("latest_date")
    if earliest is None:
        raise BookingError("Give the first date the patient can come.", field="earliest_date")
    if latest is not None and latest < earliest:
        raise BookingError("The last date must be on or after the first date.", field="latest_date")
    if latest is not None and latest < clinic.today():
        raise BookingError("The last date has already passed.", field="latest_date")
    fields["notes"] = (fields.get("notes") or "").strip()
    return fields


def _lock_patient(patient_id) -> None:
    Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).first()


def _refuse_duplicate(patient, fields, *, exclude=None, by=None) -> None:
    """One open entry per patient, service and practitioner; call under the patient's row lock
    (`_lock_patient`), so two desks adding the same wait at once cannot both pass the check."""
    duplicate = (
        WaitlistEntry.objects.open()
        .filter(patient=patient, service=fields["service"], practitioner=fields.get("practitioner"))
        .exclude(pk=getattr(exclude, "pk", None))
        .exists()
    )
    if duplicate and _is_the_patient(by, patient):
        raise BookingError("You are already on the waitlist for this.", field="service")
    if duplicate:
        raise BookingError(
            f"{patient.full_name} is already waiting for this service; edit that entry instead.",
            field="service",
        )


@transaction.atomic
def add_entry(*, clinic, patient, by, **fields) -> WaitlistEntry:
    """Put a patient on the waitlist for an earlier visit of one service: staff for any patient
    of the clinic, or the patient herself in the portal (only for a service she could book
    online)."""
    _staff_or_the_patient(by, clinic, patient)
    from_portal = _is_the_patient(by, patient)
    service = fields.get("service")
    if from_portal and service is not None and not service.bookable_online:
        raise BookingError("Choose one of the services you can book online.", field="service")
    fields = _check_fields(clinic=clinic, patient=patient, fields=fields)
    _lock_patient(patient.pk)
    _refuse_duplicate(patient, fields, by=by)
    entry = WaitlistEntry.objects.create(clinic=clinic, patient=patient, added_by=by, **fields)
    record(
        by=by,
        action="waitlist.add",
        target=entry,
        patient=patient,
        clinic=clinic,
        summary=(
            f"Asked in the portal to be offered an earlier {entry.service}"
            if from_portal
            else f"Added to the waitlist for {entry.service}"
        ),
    )
    return entry


def _locked(entry) -> WaitlistEntry:
    return (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "service", "practitioner")
        .get(pk=entry.pk)
    )


def _must_be_open(entry) -> None:
    if entry.status not in OPEN_STATUSES:
        raise BookingError(
            f"This waitlist entry is {entry.get_status_display().lower()}; nothing was changed.",
            code="closed",
        )


@transaction.atomic
def update_entry(*, entry, by, **fields) -> WaitlistEntry:
    """Change what an open entry waits for (service, practitioner, days, times, dates, notes)."""
    _lock_patient(entry.patient_id)  # the patient before their records (lock order)
    locked = _locked(entry)
    _staff(by, locked.clinic)
    _must_be_open(locked)
    merged = {name: getattr(locked, name) for name in EDITABLE} | fields
    merged = _check_fields(clinic=locked.clinic, patient=locked.patient, fields=merged)
    _refuse_duplicate(locked.patient, merged, exclude=locked)
    changed = [name for name in EDITABLE if getattr(locked, name) != merged[name]]
    for name in EDITABLE:
        setattr(locked, name, merged[name])
    locked.save()
    record(
        by=by,
        action="waitlist.edit",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        summary="Edited a waitlist entry",
        details={"fields": changed},
    )
    return locked


@transaction.atomic
def withdraw_entry(*, entry, by, reason: str = "") -> WaitlistEntry:
    """Take a patient off the waitlist (they found a time, or no longer want one): staff, or
    the patient herself in the portal."""
    locked = _locked(entry)
    _staff_or_the_patient(by, locked.clinic, locked.patient)
    _must_be_open(locked)
    locked.status = EntryStatus.WITHDRAWN
    locked.closed_at = timezone.now()
    locked.close_reason = (reason or "").strip()[:300]
    locked.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    record(
        by=by,
        action="waitlist.withdraw",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        summary="Taken off the waitlist",
    )
    return locked


def _close_as_booked(entry, appointment, now) -> None:
    entry.status = EntryStatus.BOOKED
    entry.appointment = appointment
    entry.closed_at = now
    entry.save(update_fields=["status", "appointment", "closed_at", "updated_at"])


def _release_others(offer, *, keep=None) -> None:
    """Entries that were offered this slot wait again (unless another offer is still out)."""
    ids = [r.entry_id for r in offer.recipients.all() if r.entry_id != getattr(keep, "pk", None)]
    still_offered = set(
        OfferRecipient.objects.filter(
            entry_id__in=ids,
            offer__status=OfferStatus.OPEN,
            outcome=RecipientOutcome.SENT,
        )
        .exclude(offer=offer)
        .values_list("entry_id", flat=True)
    )
    WaitlistEntry.objects.filter(
        pk__in=[i for i in ids if i not in still_offered], status=EntryStatus.OFFERED
    ).update(status=EntryStatus.WAITING, updated_at=timezone.now())


@write_transaction  # books: retried if it deadlocks with another write
@appends_last  # the booking's event is held until the entry is closed (chain lock last)
def book_from_waitlist(
    *, entry, practitioner, starts_at: datetime.datetime, by, same_day_override_reason: str = ""
):
    """Staff book a waiting patient into a free time in one click: the booking goes through
    book_appointment (every patient rule), the entry is closed as booked, and an offer of that
    time still out is closed (its other waiters wait again). Returns the appointment."""
    locked = _locked(entry)
    _staff(by, locked.clinic)
    _must_be_open(locked)
    if locked.practitioner_id and locked.practitioner_id != practitioner.pk:
        raise BookingError(
            f"{locked.patient.full_name} is waiting for {locked.practitioner.display_name} only.",
            field="practitioner",
        )
    appointment = book_appointment(
        clinic=locked.clinic,
        patient=locked.patient,
        practitioner=practitioner,
        kind=locked.service.kind,
        service=locked.service,
        starts_at=starts_at,
        by=by,
        notes="Booked from the waitlist.",
        same_day_override_reason=same_day_override_reason,
    )
    now = timezone.now()
    _close_as_booked(locked, appointment, now)
    for offer in WaitlistOffer.objects.select_for_update(of=("self",)).filter(
        clinic=locked.clinic,
        practitioner=practitioner,
        starts_at=starts_at,
        status=OfferStatus.OPEN,
    ):
        offer.status, offer.appointment = OfferStatus.TAKEN, appointment
        offer.save(update_fields=["status", "appointment", "updated_at"])
        _release_others(offer, keep=locked)
    record(
        by=by,
        action="waitlist.book",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        summary=f"Booked from the waitlist: {locked.service} at "
        f"{appointment.local_start():%Y-%m-%d %H:%M}",
        details={"appointment": str(appointment.uuid)},
    )
    return appointment


@transaction.atomic
def send_offer(
    *,
    clinic,
    practitioner,
    starts_at: datetime.datetime,
    entries,
    by,
    hours: int = DEFAULT_OFFER_HOURS,
    email: bool = True,
    sms: bool = True,
) -> WaitlistOffer:
    """Offer a free time to one or several waiters. Messages (email and/or text, each with its
    own signed link) go out after commit, never while this transaction holds its locks. The
    offer expires after `hours`, or when the time starts, whichever comes first."""
    _staff(by, clinic)
    if not (email or sms):
        raise BookingError("Choose email, text message or both.", field="channels")
    if not 1 <= hours <= MAX_OFFER_HOURS:
        raise BookingError(f"An offer stays open 1 to {MAX_OFFER_HOURS} hours.", field="hours")
    entries = list(entries)
    if not entries:
        raise BookingError("Choose at least one person to offer the time to.", field="entries")
    if len(entries) > MAX_RECIPIENTS:
        raise BookingError(f"Offer a time to at most {MAX_RECIPIENTS} people at once.")
    slot = free_slot(clinic, practitioner, starts_at)
    if slot is None:
        raise BookingError("That time is no longer free.", code="taken")
    fitting = {m.entry.pk for m in matches(clinic, slot)}
    unfit = [e for e in entries if e.pk not in fitting]
    if unfit:
        raise BookingError(
            "These people do not fit that time any more: "
            + ", ".join(e.patient.full_name for e in unfit)
            + ". Nothing was sent.",
            field="entries",
        )
    now = timezone.now()
    offer = WaitlistOffer.objects.create(
        clinic=clinic,
        practitioner=practitioner,
        starts_at=starts_at,
        expires_at=min(now + datetime.timedelta(hours=hours), starts_at),
        created_by=by,
    )
    recipients = [
        OfferRecipient.objects.create(
            offer=offer,
            entry=entry,
            email_state="sending" if email else "",
            sms_state="sending" if sms else "",
        )
        for entry in entries
    ]
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=EntryStatus.OFFERED, updated_at=now
    )
    record(
        by=by,
        action="waitlist.offer",
        target=offer,
        clinic=clinic,
        summary=f"Offered {starts_at.astimezone(clinic.tz):%Y-%m-%d %H:%M} with "
        f"{practitioner.display_name} to {len(entries)} waiting patient(s)",
        details={"entries": [str(e.uuid) for e in entries], "email": email, "sms": sms},
    )
    from imsclinic.scheduling.waitlist.offers import send_offer_messages

    ids = [r.pk for r in recipients]
    transaction.on_commit(lambda: send_offer_messages(ids))
    return offer


@dataclass
class Answer:
    """What an acceptance came to: "booked", "taken" (someone was first, or the time went),
    "expired", or "refused" (a rule of the patient's own, with `message`)."""

    outcome: str
    appointment: object = None
    message: str = ""


@write_transaction
@appends_last  # the booking's event is held until the offer and entry are closed
def accept_offer(*, recipient) -> Answer:
    """A patient accepts an offer from the link in their message. The offer row is locked first,
    so two acceptances are served one after the other: the first books the time, the later ones
    find the offer taken. Whatever happens the time is booked at most once (book_appointment
    also refuses a taken time)."""
    now = timezone.now()
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("clinic", "practitioner")
        .get(pk=recipient.offer_id)
    )
    mine = (
        OfferRecipient.objects.select_for_update(of=("self",))
        .select_related("entry__patient", "entry__service")
        .get(pk=recipient.pk)
    )
    entry = mine.entry
    if mine.outcome == RecipientOutcome.ACCEPTED:
        return Answer("booked", appointment=entry.appointment)
    if offer.status == OfferStatus.OPEN and not offer.is_open(now):
        offer.status = OfferStatus.EXPIRED
        offer.save(update_fields=["status", "updated_at"])
        _release_others(offer)
    if offer.status != OfferStatus.OPEN:
        _too_late(mine, now)
        outcome = "taken" if offer.status == OfferStatus.TAKEN else "expired"
        _record_answer(offer, entry, outcome)
        return Answer(outcome)
    if entry.status not in OPEN_STATUSES:
        return Answer(
            "refused",
            message="You are no longer on this clinic's waitlist for this visit; please call "
            "the clinic.",
        )
    try:
        appointment = book_appointment(
            clinic=offer.clinic,
            patient=entry.patient,
            practitioner=offer.practitioner,
            kind=entry.service.kind,
            service=entry.service,
            starts_at=offer.starts_at,
            by=None,
            via=BookedVia.WAITLIST,
            notes="Booked by the patient from a waitlist offer.",
        )
    except BookingError as exc:
        if exc.code != "taken":
            return Answer("refused", message=exc.message)
        # Booked some other way in the meantime: the offer is over for everyone.
        offer.status = OfferStatus.TAKEN
        offer.save(update_fields=["status", "updated_at"])
        _release_others(offer)
        _too_late(mine, now)
        _record_answer(offer, entry, "taken")
        return Answer("taken")
    offer.status, offer.appointment = OfferStatus.TAKEN, appointment
    offer.save(update_fields=["status", "appointment", "updated_at"])
    mine.outcome, mine.answered_at = RecipientOutcome.ACCEPTED, now
    mine.save(update_fields=["outcome", "answered_at", "updated_at"])
    _close_as_booked(entry, appointment, now)
    _release_others(offer, keep=entry)
    _record_answer(offer, entry, "booked", appointment=appointment)
    return Answer("booked", appointment=appointment)


def _too_late(recipient, now) -> None:
    if recipient.outcome == RecipientOutcome.SENT:
        recipient.outcome, recipient.answered_at = RecipientOutcome.TOO_LATE, now
        recipient.save(update_fields=["outcome", "answered_at", "updated_at"])


def _record_answer(offer, entry, outcome: str, *, appointment=None) -> None:
    summary = {
        "booked": "Accepted a waitlist offer: booked",
        "taken": "Answered a waitlist offer after the time was taken",
        "expired": "Answered a waitlist offer after it expired",
    }[outcome]
    details = {"offer": str(offer.uuid), "outcome": outcome}
    if appointment is not None:
        details["appointment"] = str(appointment.uuid)
    record(
        by=None,
        action="waitlist.accept",
        target=entry,
        patient=entry.patient,
        clinic=offer.clinic,
        summary=summary,
        details=details,
    )


@transaction.atomic
def expire(*, clinic, by=None) -> tuple[int, int]:
    """Close entries whose last date has passed and offers whose answer time is over (their
    waiters wait again). Returns (entries, offers) expired; one audit event when anything was."""
    now = timezone.now()
    entries = WaitlistEntry.objects.open().filter(clinic=clinic, latest_date__lt=clinic.today())
    entry_count = entries.update(status=EntryStatus.EXPIRED, closed_at=now, updated_at=now)
    offers = list(
        WaitlistOffer.objects.select_for_update(of=("self",)).filter(
            clinic=clinic, status=OfferStatus.OPEN, expires_at__lte=now
        )
    )
    for offer in offers:
        offer.status = OfferStatus.EXPIRED
        offer.save(update_fields=["status", "updated_at"])
        _release_others(offer)
    if entry_count or offers:
        record(
            by=by,
            action="waitlist.expire",
            clinic=clinic,
            summary=f"Expired {entry_count} waitlist entr{'y' if entry_count == 1 else 'ies'} "
            f"and {len(offers)} offer(s)",
            details={"entries": entry_count, "offers": len(offers)},
        )
    return entry_count, len(offers)
