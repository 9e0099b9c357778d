"""Appointment emails (confirmation, reminder) with an .ics attachment, and iCalendar feeds.

Email goes through Django's configured backend (console in development). Reminders are sent by
`imsclinic send_reminders`, run on a schedule (cron or a systemd timer); a Notification row per
appointment makes a second run send nothing.

What goes into calendars: an attachment sent to the patient names the clinic, the type of visit
and the address. A practitioner's feed is often synced to a third-party calendar, so its events
carry only the patient's initials and chart number, never diagnoses or notes.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar, Event

from imsclinic.scheduling.instructions import instruction_lines
from imsclinic.scheduling.models import (
    Appointment,
    BookedVia,
    Notification,
    Status,
    cancellation_hours,
    reminder_lead_hours,
)

logger = logging.getLogger(__name__)
PRODID = "-//IMS Clinic//Scheduling//EN"


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _clinic_address(clinic) -> str:
    parts = [clinic.address_line1, clinic.address_line2, clinic.city, clinic.region]
    return ", ".join(p for p in parts if p)


def _event(appointment: Appointment, *, summary: str, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"{appointment.uuid}@imsclinic")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", summary)
    event.add("status", "CANCELLED" if appointment.status == Status.CANCELLED else "CONFIRMED")
    event.add("sequence", int(appointment.updated_at.timestamp()) if appointment.updated_at else 0)
    if appointment.mode == "video":
        event.add("location", "Video visit (link sent by the clinic)")
    else:
        event.add("location", _clinic_address(appointment.clinic))
    if description:
        event.add("description", description)
    return event


def patient_ics(appointment: Appointment) -> bytes:
    """A one-event calendar for the patient's own calendar app."""
    cal = _calendar()
    cal.add("method", "PUBLISH")
    before = "\n".join(instruction_lines(appointment.clinic, "before_visit"))
    cal.add_component(
        _event(
            appointment,
            summary=f"{appointment.get_kind_display()} at {appointment.clinic.name}",
            description=before,
        )
    )
    return cal.to_ical()


def practitioner_feed(practitioner, clinic, *, now=None) -> tuple[bytes, list]:
    """The practitioner's appointments at `clinic` from 30 days ago to 180 days ahead, and the
    patients they name (the feed's reader logs one access row for each)."""
    now = now or timezone.now()
    cal = _calendar(f"{clinic.name} · {practitioner.display_name}")
    appointments = (
        Appointment.objects.filter(
            practitioner=practitioner,
            clinic=clinic,
            starts_at__gte=now - datetime.timedelta(days=30),
            starts_at__lt=now + datetime.timedelta(days=180),
        )
        .select_related("patient", "clinic")
        .order_by("starts_at")
    )
    patients = []
    for appointment in appointments:
        patient = appointment.patient
        patients.append(patient)
        initials = f"{patient.given_name[:1]}.{patient.family_name[:1]}."
        cal.add_component(
            _event(
                appointment,
                summary=f"{appointment.get_kind_display()} · {initials} "
                f"(chart {patient.chart_number})",
            )
        )
    return cal.to_ical(), patients


def _local(appointment) -> str:
    return appointment.starts_at.astimezone(appointment.clinic.tz).strftime("%A %-d %B %Y at %H:%M")


def _body(appointment: Appointment, kind: str) -> tuple[str, str]:
    clinic = appointment.clinic
    when = _local(appointment)
    what = appointment.get_kind_display()
    if kind == Notification.Kind.REMINDER:
        subject = f"Reminder: {what} on {when}"
        opening = f"This is a reminder of your {what.lower()} at {clinic.name} on {when}."
    else:
        subject = f"Booked: {what} on {when}"
        opening = f"Your {what.lower()} at {clinic.name} is booked for {when}."
    where = (
        "This is a video visit; the clinic will send you the link."
        if appointment.mode == "video"
        else f"Address: {_clinic_address(clinic)}"
    )
    before = "\n".join(f"- {line}" for line in instruction_lines(clinic, "before_visit"))
    if appointment.booked_via == BookedVia.ONLINE:
        # Online bookers have no account: a signed link of their own (screening.manage).
        from imsclinic.screening.manage import manage_url

        change = (
            f"To change or cancel (up to {cancellation_hours(clinic):g} hours before), open:\n"
            f"{manage_url(appointment)}\nor call {clinic.phone or 'the clinic'}"
        )
    else:
        change = (
            f"To change or cancel, sign in to the patient portal or call "
            f"{clinic.phone or 'the clinic'}"
        )
    body = (
        f"Hello {appointment.patient.given_name},\n\n{opening}\n{where}\n"
        f"With: {appointment.practitioner.display_name}\n\n"
        f"Before your visit:\n{before}\n\n"
        f"{change}.\nThe attached calendar file adds the visit to your calendar.\n\n{clinic.name}\n"
    )
    return subject, body


def send_appointment_email(appointment: Appointment, kind: str) -> bool:
    """Send one email with the .ics attached. Returns False when the patient has no email."""
    to = appointment.patient.email
    if not to:
        return False
    subject, body = _body(appointment, kind)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[appointment.clinic.email] if appointment.clinic.email else None,
    )
    message.attach("appointment.ics", patient_ics(appointment), "text/calendar")
    message.send()
    return True


def send_confirmations(appointment_ids: list[int]) -> int:
    """Confirmation for newly booked appointments (one email per series: the first date)."""
    appointments = list(
        Appointment.objects.filter(pk__in=appointment_ids)
        .select_related("patient", "clinic", "practitioner")
        .order_by("starts_at")
    )
    if not appointments:
        return 0
    first = appointments[0]
    try:
        sent = send_appointment_email(first, Notification.Kind.CONFIRMATION)
    except Exception:  # a mail outage must not undo a booking that has committed
        logger.exception("Could not send the booking confirmation for %s", first.uuid)
        sent = False
    Notification.objects.create(
        appointment=first,
        kind=Notification.Kind.CONFIRMATION,
        sent_at=timezone.now() if sent else None,
        recipient=first.patient.email,
        outcome="sent" if sent else ("no_email" if not first.patient.email else "failed"),
    )
    return int(sent)


def due_reminders(now: datetime.datetime):
    """Booked appointments whose reminder time has come and that have no reminder yet."""
    horizon = now + datetime.timedelta(hours=24 * 14)
    candidates = (
        Appointment.objects.filter(status=Status.BOOKED, starts_at__gt=now, starts_at__lte=horizon)
        .exclude(notifications__kind=Notification.Kind.REMINDER)
        .select_related("patient", "clinic", "practitioner")
        .order_by("starts_at")
    )
    for appointment in candidates.iterator(chunk_size=500):
        lead = datetime.timedelta(hours=reminder_lead_hours(appointment.clinic))
        if appointment.starts_at - now <= lead:
            yield appointment


def send_due_reminders(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send each due reminder once. The Notification row is claimed first (unique per
    appointment), so two overlapping runs cannot both send; a failed send releases the claim so
    the next run retries."""
    now = now or timezone.now()
    counts = {"sent": 0, "no_email": 0, "failed": 0}
    for appointment in list(due_reminders(now)):
        try:
            with transaction.atomic():
                claim = Notification.objects.create(
                    appointment=appointment,
                    kind=Notification.Kind.REMINDER,
                    recipient=appointment.patient.email,
                    outcome="sending",
                )
        except IntegrityError:
            continue  # another run got there first
        try:
            sent = send_appointment_email(appointment, Notification.Kind.REMINDER)
        except Exception:
            logger.exception("Reminder for %s failed; will retry", appointment.uuid)
            claim.delete()
            counts["failed"] += 1
            continue
        claim.outcome = "sent" if sent else "no_email"
        claim.sent_at = timezone.now() if sent else None
        claim.save(update_fields=["outcome", "sent_at", "updated_at"])
        counts["sent" if sent else "no_email"] += 1
    return counts
