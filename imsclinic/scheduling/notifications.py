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
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from imsclinic.scheduling.instructions import instruction_lines
from imsclinic.scheduling.models import (
    Appointment,
    BookedVia,
    Notification,
    Status,
    cancellation_hours,
    reminder_lead_hours,
)

if TYPE_CHECKING:
    from icalendar import Calendar, Event

logger = logging.getLogger(__name__)
PRODID = "-//IMS Clinic//Scheduling//EN"


# icalendar is imported where a calendar is written: importing it costs about 70 ms, which every
# server and command process paid at start (the URL configuration imports this module).


def _calendar(name: str | None = None) -> "Calendar":
    from icalendar import Calendar

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


def _event(appointment: Appointment, *, summary: str, description: str = "") -> "Event":
    from icalendar import Event

    event = Event()
    event.add("uid", f"{appointment.calendar_uid or appointment.uuid}@imsclinic")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", summary)
    event.add("status", "CANCELLED" if appointment.status == Status.CANCELLED else "CONFIRMED")
    event.add("sequence", appointment.calendar_sequence)
    if appointment.mode == "video" and appointment.video_url:
        event.add("location", f"Video visit: {appointment.video_url}")
        event.add("url", appointment.video_url)
    elif appointment.mode == "video":
        event.add("location", "Video visit (link sent by the clinic)")
    else:
        event.add("location", _clinic_address(appointment.clinic))
    if description:
        event.add("description", description)
    return event


def visit_name(appointment: Appointment) -> str:
    """What the patient booked, in the clinic's words: the service's name when there is one."""
    return appointment.service.name if appointment.service_id else appointment.get_kind_display()


def patient_ics(appointment: Appointment, *, method: str = "PUBLISH") -> bytes:
    """A one-event calendar for the patient's own calendar app. A moved visit is sent as a
    REQUEST with the original UID and a higher SEQUENCE, which replaces the old event."""
    cal = _calendar()
    cal.add("method", method)
    before = "\n".join(instruction_lines(appointment.clinic, "before_visit"))
    cal.add_component(
        _event(
            appointment,
            summary=f"{visit_name(appointment)} at {appointment.clinic.name}",
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
    what = visit_name(appointment)
    if kind == Notification.Kind.REMINDER:
        subject = f"Reminder: {what} on {when}"
        opening = f"This is a reminder of your visit ({what}) at {clinic.name} on {when}."
    elif kind == Notification.Kind.RESCHEDULE:
        subject = f"Moved: {what} now on {when}"
        opening = f"Your visit ({what}) at {clinic.name} has moved to {when}."
    elif kind == Notification.Kind.VIDEO_LINK:
        subject = f"Video link: {what} on {when}"
        opening = f"Here is the video link of your visit ({what}) at {clinic.name} on {when}."
    else:
        subject = f"Booked: {what} on {when}"
        opening = f"Your visit ({what}) at {clinic.name} is booked for {when}."
    if appointment.mode == "video" and appointment.video_url:
        where = (
            f"This is a video visit. At the time of your visit, open this link:\n"
            f"{appointment.video_url}"
        )
    elif appointment.mode == "video":
        where = "This is a video visit; the clinic will send you the link."
    else:
        where = f"Address: {_clinic_address(clinic)}"
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
    if kind in (Notification.Kind.RESCHEDULE, Notification.Kind.VIDEO_LINK):
        message.attach(
            "appointment.ics",
            patient_ics(appointment, method="REQUEST"),
            "text/calendar; method=REQUEST",
        )
    else:
        message.attach("appointment.ics", patient_ics(appointment), "text/calendar")
    message.send()
    return True


def _send_and_record(appointment, kind, failure: str) -> bool:
    """Email the patient about `appointment` and record the outcome in its outbox; a mail
    failure is logged and recorded, never raised (these run after commit)."""
    try:
        sent = send_appointment_email(appointment, kind)
    except Exception:
        logger.exception("Could not send the %s for %s", failure, appointment.uuid)
        sent = False
    Notification.objects.create(
        appointment=appointment,
        kind=kind,
        sent_at=timezone.now() if sent else None,
        recipient=appointment.patient.email,
        outcome="sent" if sent else ("no_email" if not appointment.patient.email else "failed"),
    )
    return sent


def send_video_link(appointment_id: int) -> bool:
    """Email the patient a video visit's (new) link with the updated .ics, after commit."""
    appointment = Appointment.objects.select_related(
        "patient", "clinic", "practitioner", "service"
    ).get(pk=appointment_id)
    return _send_and_record(appointment, Notification.Kind.VIDEO_LINK, "video link")


def send_reschedule_notices(appointment_ids: list[int]) -> int:
    """Tell the patient each moved visit's new time, with an updated .ics (after commit: a mail
    outage must not undo the move). Returns the number of emails sent."""
    sent_count = 0
    appointments = (
        Appointment.objects.filter(pk__in=appointment_ids)
        .select_related("patient", "clinic", "practitioner", "service")
        .order_by("starts_at")
    )
    for appointment in appointments:
        sent_count += int(
            _send_and_record(appointment, Notification.Kind.RESCHEDULE, "reschedule notice")
        )
    return sent_count


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


def current_lead(appointment: Appointment, now: datetime.datetime) -> int | None:
    """The reminder whose time has come: the shortest of the clinic's lead times that the visit
    is already within (None before the longest). A visit booked after an earlier reminder's time
    gets only the current one, never two at once."""
    left = appointment.starts_at - now
    due = [
        h for h in reminder_lead_hours(appointment.clinic) if left <= datetime.timedelta(hours=h)
    ]
    return min(due) if due else None


def due_reminders(now: datetime.datetime):
    """(appointment, lead hours) of booked appointments whose reminder time has come (see
    `current_lead`); the claim decides whether a channel still needs it."""
    horizon = now + datetime.timedelta(hours=24 * 14)
    candidates = (
        Appointment.objects.filter(status=Status.BOOKED, starts_at__gt=now, starts_at__lte=horizon)
        .select_related("patient", "clinic", "practitioner", "service")
        .order_by("starts_at")
    )
    for appointment in candidates.iterator(chunk_size=500):
        lead = current_lead(appointment, now)
        if lead is not None:
            yield appointment, lead


def reminder_channels(appointment) -> list[tuple[str, str]]:
    """(channel, address) the reminder goes to: email always (recorded as "no email" when the
    patient has none); a text message when the patient has a phone number."""
    channels = [(Notification.Channel.EMAIL, appointment.patient.email)]
    if appointment.patient.phone:
        channels.append((Notification.Channel.SMS, appointment.patient.phone))
    return channels


def sms_body(appointment: Appointment, kind: str) -> str:
    video = (
        f" Video link: {appointment.video_url}"
        if appointment.mode == "video" and appointment.video_url
        else ""
    )
    return (
        f"{appointment.clinic.name}: reminder of your visit ({visit_name(appointment)}) on "
        f"{_local(appointment)} with {appointment.practitioner.display_name}.{video} "
        f"To change it call {appointment.clinic.phone or 'the clinic'}."
    )


def _claim(appointment, channel, address, lead) -> Notification | None:
    """Take the reminder for one channel and lead time: a new row, or a failed one flipped back
    to sending. None when another run holds it or it is settled."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                appointment=appointment,
                kind=Notification.Kind.REMINDER,
                channel=channel,
                lead_hours=lead,
                recipient=address,
                outcome="sending",
            )
    except IntegrityError:
        same = Notification.objects.filter(
            appointment=appointment,
            kind=Notification.Kind.REMINDER,
            channel=channel,
            lead_hours=lead,
        )
        if not same.filter(outcome="failed").update(outcome="sending", updated_at=timezone.now()):
            return None
        return same.get()


def _deliver(appointment, channel, address) -> bool:
    if channel == Notification.Channel.SMS:
        from imsclinic.scheduling import sms

        sms.backend().send(to=address, body=sms_body(appointment, Notification.Kind.REMINDER))
        return True
    return send_appointment_email(appointment, Notification.Kind.REMINDER)


def send_due_reminders(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send each due reminder once per channel and lead time. The Notification row is claimed
    first (unique per appointment, channel and lead time), so two overlapping runs cannot both
    send; a failed send stays in the outbox as failed and the next run retries it."""
    now = now or timezone.now()
    counts = {"sent": 0, "no_email": 0, "failed": 0}
    for appointment, lead in list(due_reminders(now)):
        for channel, address in reminder_channels(appointment):
            claim = _claim(appointment, channel, address, lead)
            if claim is None:
                continue
            try:
                sent = _deliver(appointment, channel, address)
            except Exception:
                logger.exception("%s reminder for %s failed; will retry", channel, appointment.uuid)
                claim.outcome = "failed"
                claim.save(update_fields=["outcome", "updated_at"])
                counts["failed"] += 1
                continue
            claim.outcome = "sent" if sent else "no_email"
            claim.sent_at = timezone.now() if sent else None
            claim.save(update_fields=["outcome", "sent_at", "updated_at"])
            counts["sent" if sent else "no_email"] += 1
    return counts


def lead_label(hours: int | None) -> str:
    if hours is None:
        return ""
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''} before"
    return f"{hours} hour{'s' if hours != 1 else ''} before"


def scheduled_reminders(appointment: Appointment, *, now: datetime.datetime) -> list[dict]:
    """The reminders still to go out for a booked, future visit: one per lead time and channel
    with an address, not yet recorded, whose time has not passed before the current one."""
    if appointment.status != Status.BOOKED or appointment.starts_at <= now:
        return []
    done = set(
        appointment.notifications.filter(kind=Notification.Kind.REMINDER).values_list(
            "channel", "lead_hours"
        )
    )
    current = current_lead(appointment, now)
    rows = []
    for lead in reminder_lead_hours(appointment.clinic):
        if current is not None and lead > current:
            continue  # its time passed before the visit was booked: only the current one goes
        due_at = appointment.starts_at - datetime.timedelta(hours=lead)
        for channel, address in reminder_channels(appointment):
            if (channel, lead) not in done and address:
                rows.append(
                    {"lead_hours": lead, "channel": channel, "to": address, "at": max(due_at, now)}
                )
    return rows


def outbox(appointment: Appointment, *, now: datetime.datetime | None = None) -> list[dict]:
    """The appointment's messages for staff: each recorded one (sent, failed, not sent) and the
    reminders still scheduled (one per lead time and channel), with their channel and time."""
    now = now or timezone.now()
    rows = [
        {
            "kind": n.get_kind_display(),
            "when": lead_label(n.lead_hours),
            "channel": n.get_channel_display(),
            "state": n.outcome_label(),
            "recipient": n.recipient,
            "at": n.sent_at or n.updated_at,
        }
        for n in appointment.notifications.order_by("created_at")
    ]
    rows += [
        {
            "kind": Notification.Kind.REMINDER.label,
            "when": lead_label(row["lead_hours"]),
            "channel": Notification.Channel(row["channel"]).label,
            "state": "Scheduled",
            "recipient": row["to"],
            "at": row["at"],
        }
        for row in scheduled_reminders(appointment, now=now)
    ]
    return rows
