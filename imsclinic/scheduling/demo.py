"""Demo step: practitioners' hours and a realistic schedule.

Deterministic from ctx.rng: weekly hours for the demo practitioners, a course history for a
bounded number of patients (completed initial assessments, weekly IMS sessions in the past,
booked ones ahead), and a hand-made day for the "practitioner" login today in clinic-local time
(IMS treatments, an initial assessment, a follow-up). Rows are written with bulk_create: the demo
lays out history directly rather than booking through the actions (which refuse the past).
"""

import datetime

from imsclinic.scheduling.availability import local_datetime
from imsclinic.scheduling.models import (
    DURATIONS,
    Appointment,
    AppointmentSeries,
    Availability,
    AvailabilityException,
    BookedVia,
    Kind,
    Status,
    create_default_services,
)

# Patients per clinic that get an appointment history; enough for a lively calendar while
# staying within what the practitioners' hours can hold.
MAX_COURSE_PATIENTS = 160
DAY_START, DAY_END = datetime.time(8, 0), datetime.time(17, 0)
HALF_HOURS = 18  # 08:00–17:00


class Calendar:
    """Half-hour occupancy per practitioner and day, so demo appointments never overlap."""

    def __init__(self):
        self.used: dict[tuple[int, datetime.date], set[int]] = {}

    def take(self, user, day, kind, rng, *, first=0) -> int | None:
        need = DURATIONS[kind] // 30 + (1 if DURATIONS[kind] % 30 else 0)
        taken = self.used.setdefault((user.pk, day), set())
        offsets = list(range(first, HALF_HOURS - need + 1))
        rng.shuffle(offsets)
        for start in offsets:
            block = set(range(start, start + need))
            if not block & taken:
                taken |= block
                return start
        return None


def _at(clinic, day, half_hour):
    start = datetime.datetime.combine(day, DAY_START) + datetime.timedelta(minutes=30 * half_hour)
    return local_datetime(day, start.time(), clinic.tz)


def _service_for(ctx, clinic, kind):
    """The clinic's in-clinic service of `kind` (created with the defaults on first use)."""
    services = ctx.extras.setdefault("services", {})
    if clinic.pk not in services:
        services[clinic.pk] = {
            service.kind: service
            for service in reversed(create_default_services(clinic))
            if service.mode == "in_clinic"
        }
    return services[clinic.pk][kind]


def _appointment(clinic, patient, user, kind, starts_at, status, ctx, series=None, via="staff"):
    cancelled = status == Status.CANCELLED
    return Appointment(
        uuid=ctx.uuid(),
        clinic=clinic,
        patient=patient,
        practitioner=user,
        kind=kind,
        service=_service_for(ctx, clinic, kind),
        mode="in_clinic",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=DURATIONS[kind]),
        status=status,
        series=series,
        booked_via=via,
        cancelled_at=starts_at - datetime.timedelta(days=1) if cancelled else None,
        cancel_reason="Unwell" if cancelled else "",
    )


def _hours(ctx, today):
    since = today - datetime.timedelta(days=400)
    rows = []
    plan = [
        (ctx.users["practitioner"], ctx.clinic, range(0, 6)),  # Mon–Sat
        (ctx.users["colleague"], ctx.clinic, range(0, 4)),  # Mon–Thu
        (ctx.users["vancouver"], ctx.other_clinic, range(1, 6)),  # Tue–Sat
    ]
    for user, clinic, weekdays in plan:
        if Availability.objects.filter(practitioner=user, clinic=clinic).exists():
            continue
        rows += [
            Availability(
                uuid=ctx.uuid(),
                practitioner=user,
                clinic=clinic,
                weekday=day,
                start_time=DAY_START,
                end_time=DAY_END,
                valid_from=since,
            )
            for day in weekdays
        ]
    Availability.objects.bulk_create(rows)
    practitioner = ctx.users["practitioner"]
    if today.weekday() == 6:  # Sunday: open an extra day so Today always has a schedule
        AvailabilityException.objects.get_or_create(
            practitioner=practitioner,
            clinic=ctx.clinic,
            date=today,
            defaults={
                "uuid": ctx.uuid(),
                "is_available": True,
                "start_time": DAY_START,
                "end_time": DAY_END,
                "reason": "Extra Sunday clinic",
            },
        )
    # A day off next week, to show exceptions.
    AvailabilityException.objects.get_or_create(
        practitioner=ctx.users["colleague"],
        clinic=ctx.clinic,
        date=today + datetime.timedelta(days=9),
        defaults={"uuid": ctx.uuid(), "is_available": False, "reason": "Course (CPD)"},
    )


def _course_history(ctx, clinic, practitioners, patients, calendar, today, rows, series_rows):
    """Lay out each patient's assessment and course; returns the patients actually assessed."""
    rng = ctx.rng
    assessed = []
    for patient in patients:
        user = rng.choice(practitioners)
        start_day = today + datetime.timedelta(days=-rng.randrange(10, 110))
        slot = calendar.take(user, start_day, Kind.INITIAL_ASSESSMENT, rng)
        if slot is None:
            continue
        assessed.append(patient)
        rows.append(
            _appointment(
                clinic,
                patient,
                user,
                Kind.INITIAL_ASSESSMENT,
                _at(clinic, start_day, slot),
                Status.COMPLETED,
                ctx,
                via=rng.choice([BookedVia.STAFF, BookedVia.ONLINE]),
            )
        )
        sessions = rng.randrange(3, 10)
        interval = rng.choice([7, 7, 7, 10, 14])
        series = AppointmentSeries(
            uuid=ctx.uuid(),
            clinic=clinic,
            patient=patient,
            practitioner=user,
            kind=Kind.IMS_TREATMENT,
            count=sessions,
            interval_days=interval,
        )
        series_rows.append(series)
        preferred = rng.randrange(0, HALF_HOURS - 1)
        for number in range(1, sessions + 1):
            day = start_day + datetime.timedelta(days=interval * number)
            if day == today:
                continue  # today is laid out by hand below
            slot = calendar.take(user, day, Kind.IMS_TREATMENT, rng, first=min(preferred, 16))
            if slot is None:
                continue
            if day < today:
                status = rng.choices(
                    [Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED], weights=[92, 4, 4]
                )[0]
            else:
                status = Status.BOOKED
            rows.append(
                _appointment(
                    clinic,
                    patient,
                    user,
                    Kind.IMS_TREATMENT,
                    _at(clinic, day, slot),
                    status,
                    ctx,
                    series=series,
                )
            )
    return assessed


def _today(ctx, calendar, today, rows, assessed):
    """The demo practitioner's day: treatments for patients in courses, one new assessment."""
    clinic, user, rng = ctx.clinic, ctx.users["practitioner"], ctx.rng
    plan = [
        (0, Kind.IMS_TREATMENT),  # 08:00
        (2, Kind.IMS_TREATMENT),  # 09:00
        (3, Kind.FOLLOW_UP_ASSESSMENT),  # 09:30
        (6, Kind.INITIAL_ASSESSMENT),  # 11:00
        (10, Kind.IMS_TREATMENT),  # 13:00
        (12, Kind.IMS_TREATMENT),  # 14:00
        (14, Kind.IMS_TREATMENT),  # 15:00
    ]
    taken = calendar.used.setdefault((user.pk, today), set())
    treated = [p for p in assessed if p.pk != ctx.extras.get("portal_patient", p).pk]
    rng.shuffle(treated)
    new_patients = ctx.extras["new_patients"]
    for half_hour, kind in plan:
        need = set(range(half_hour, half_hour + DURATIONS[kind] // 30 + (DURATIONS[kind] % 30 > 0)))
        if need & taken:
            continue
        if kind == Kind.INITIAL_ASSESSMENT:
            if not new_patients:
                continue
            patient = new_patients.pop()
        else:
            if not treated:
                continue
            patient = treated.pop()
        taken |= need
        rows.append(
            _appointment(
                clinic, patient, user, kind, _at(clinic, today, half_hour), Status.BOOKED, ctx
            )
        )


def build(ctx) -> None:
    if Appointment.objects.filter(clinic__in=[ctx.clinic, ctx.other_clinic]).exists():
        return  # the demo extends an existing network only once
    today = ctx.clinic.today()
    _hours(ctx, today)
    calendar = Calendar()
    rows: list[Appointment] = []
    series_rows: list[AppointmentSeries] = []
    progress = ctx.progress("Appointments", 2)
    assessed = []
    new_patients = []
    portal_patient = ctx.extras.get("portal_patient")
    for clinic, practitioners in [
        (ctx.clinic, [ctx.users["practitioner"], ctx.users["colleague"]]),
        (ctx.other_clinic, [ctx.users["vancouver"]]),
    ]:
        patients = [p for p in ctx.patients if p.clinic_id == clinic.pk]
        if portal_patient is not None and clinic == ctx.clinic:
            patients.remove(portal_patient)
            patients.insert(0, portal_patient)
        limit = MAX_COURSE_PATIENTS if clinic == ctx.clinic else MAX_COURSE_PATIENTS // 4
        # The last few patients are new (no history): they get today's initial assessment.
        in_courses = patients[: max(0, min(limit, len(patients) - 3))]
        done = _course_history(
            ctx, clinic, practitioners, in_courses, calendar, today, rows, series_rows
        )
        if clinic == ctx.clinic:
            assessed = done
            new_patients = patients[len(in_courses) :][-3:]
        progress(1)
    ctx.extras["new_patients"] = list(new_patients)
    _today(ctx, calendar, today, rows, assessed)
    AppointmentSeries.objects.bulk_create(series_rows, batch_size=1000)
    Appointment.objects.bulk_create(rows, batch_size=1000)
    ctx.extras["appointments"] = len(rows)
