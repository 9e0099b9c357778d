"""Demo step: a few patients on the waitlist of the demo clinic, and a cancelled visit soon
whose freed time they can fill (the matches panel then has someone to show).

Deterministic from ctx.rng. Rows are written directly, as the other demo steps do.
"""

import datetime

from django.utils import timezone

from imsclinic.scheduling.availability import conflicts, local_datetime, windows_on
from imsclinic.scheduling.models import Appointment, Kind, Service, Status
from imsclinic.scheduling.waitlist.models import DayPart, WaitlistEntry


def build(ctx) -> None:
    clinic = ctx.clinic
    if WaitlistEntry.objects.filter(clinic=clinic).exists():
        return
    services = {s.kind: s for s in Service.objects.filter(clinic=clinic, mode="in_clinic")}
    if Kind.INITIAL_ASSESSMENT not in services or Kind.IMS_TREATMENT not in services:
        return
    practitioner, desk = ctx.users["practitioner"], ctx.users.get("frontdesk")
    today = clinic.today()
    assessed_ids = set(
        Appointment.objects.filter(
            clinic=clinic, kind=Kind.INITIAL_ASSESSMENT, status=Status.COMPLETED
        ).values_list("patient_id", flat=True)
    )
    portal = ctx.extras.get("portal_patient")
    assessed = [
        p for p in ctx.patients if p.pk in assessed_ids and (portal is None or p.pk != portal.pk)
    ]
    new = [p for p in ctx.extras.get("new_patients", []) if p.clinic_id == clinic.pk]
    ctx.rng.shuffle(assessed)
    rows = []
    if new:
        rows.append(
            WaitlistEntry(
                clinic=clinic,
                patient=new[0],
                service=services[Kind.INITIAL_ASSESSMENT],
                days=0b0011111,
                day_parts=DayPart.MORNING | DayPart.AFTERNOON,
                earliest_date=today,
                latest_date=today + datetime.timedelta(days=28),
                notes="Pain is worse this month; happy to come at short notice.",
                added_by=desk,
            )
        )
    for patient, parts, note in zip(
        assessed[:2],
        [DayPart.MORNING, DayPart.EVENING | DayPart.AFTERNOON],
        ["Works shifts: call the day before.", ""],
        strict=False,
    ):
        rows.append(
            WaitlistEntry(
                clinic=clinic,
                patient=patient,
                service=services[Kind.IMS_TREATMENT],
                practitioner=practitioner,
                day_parts=parts,
                earliest_date=today,
                notes=note,
                added_by=desk,
            )
        )
    WaitlistEntry.objects.bulk_create(rows)
    _cancelled_tomorrow(ctx, practitioner, services[Kind.INITIAL_ASSESSMENT], today)


def _free_hour(clinic, practitioner, service, today):
    """The first weekday hour from tomorrow (10:00 first, then the rest of the day) when the
    practitioner is free and working, within a week."""
    for offset in range(1, 8):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() > 4:
            continue
        windows = windows_on(practitioner, clinic, day)
        for hour in (10, 9, 11, 13, 14, 15):
            start = local_datetime(day, datetime.time(hour, 0), clinic.tz)
            end = start + datetime.timedelta(minutes=service.duration_minutes)
            if (
                any(w.contains(start, end) for w in windows)
                and not conflicts(practitioner, start, end).exists()
            ):
                return start, end
    return None


def _cancelled_tomorrow(ctx, practitioner, service, today) -> None:
    """A visit soon (tomorrow at 10:00 when free) that was cancelled."""
    clinic = ctx.clinic
    found = _free_hour(clinic, practitioner, service, today)
    if found is None:
        return
    start, end = found
    busy = set(
        Appointment.objects.blocking().overlapping(start, end).values_list("patient_id", flat=True)
    )
    patient = next((p for p in ctx.patients if p.clinic_id == clinic.pk and p.pk not in busy), None)
    if patient is None:
        return
    now = timezone.now()
    Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        kind=service.kind,
        service=service,
        starts_at=start,
        ends_at=end,
        status=Status.CANCELLED,
        cancelled_at=now,
        status_changed_at=now,
        cancel_reason="Called to cancel: a family emergency.",
    )
