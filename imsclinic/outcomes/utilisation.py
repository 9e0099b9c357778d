"""Utilisation and no-shows per clinic-local month, for the analytics page and its PDF.

Definitions (also in docs/outcomes.md):

- Booked hours: appointments that kept their time (every status except cancelled), by their
  booked length, in the month they start (clinic-local).
- Available hours: the practitioners' weekly hours at the clinic (scheduling.Availability, within
  their validity dates), less time off and plus extra hours (AvailabilityException), per day of
  the month inside the filter's range.
- Utilisation: booked hours / available hours. Above 100 % means visits were booked outside the
  published hours.
- No-show rate: no-shows / (completed + no-shows): of the visits that were due and not
  cancelled, the share the patient missed. Visits still booked or under way are not counted.

The appointment figures are one GROUP BY; the hours are computed from the clinic's few weekly
availability rows and exceptions, day by day in Python (about 365 days x a handful of rows).
"""

import datetime
from collections import defaultdict

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth

DEFAULT_MONTHS = 12  # with no start date, the page shows the last year


def month_range(f) -> tuple[datetime.date, datetime.date]:
    """The first and last clinic-local day the figures cover."""
    today = f.clinic.today()
    end = f.end or today
    if f.start:
        start = f.start
    else:
        start = end.replace(day=1)
        for _ in range(DEFAULT_MONTHS - 1):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
    return start, end


def monthly(f) -> list[dict]:
    """[{month, booked_hours, available_hours, utilisation, completed, no_shows, no_show_rate}]
    per clinic-local month of the range, oldest first; months without hours or visits are
    included so the chart's months line up with the calendar."""
    from imsclinic.scheduling.models import Appointment, Status

    start, end = month_range(f)
    tz = f.clinic.tz
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    high = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    rows = (
        Appointment.objects.filter(clinic=f.clinic, starts_at__gte=low, starts_at__lt=high)
        .exclude(status=Status.CANCELLED)
        .annotate(
            month=TruncMonth("starts_at", tzinfo=tz),
            length=ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField()),
        )
        .values("month")
        .annotate(
            booked=Sum("length"),
            completed=Count("id", filter=Q(status=Status.COMPLETED)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
        )
        .order_by("month")
    )
    visits = {_as_date(r["month"]): r for r in rows}
    available = available_hours(f.clinic, start, end)
    result = []
    month = start.replace(day=1)
    while month <= end:
        r = visits.get(month, {})
        booked = (r.get("booked") or datetime.timedelta()).total_seconds() / 3600
        hours = available.get(month, 0.0)
        completed, no_shows = r.get("completed", 0), r.get("no_shows", 0)
        due = completed + no_shows
        result.append(
            {
                "month": month,
                "booked_hours": round(booked, 1),
                "available_hours": round(hours, 1),
                "utilisation": round(booked / hours, 3) if hours else None,
                "completed": completed,
                "no_shows": no_shows,
                "no_show_rate": round(no_shows / due, 3) if due else None,
            }
        )
        month = _next_month(month)
    return result


def available_hours(clinic, start: datetime.date, end: datetime.date) -> dict:
    """{first day of month: hours} the clinic's practitioners published between start and end."""
    from imsclinic.scheduling.models import Availability, AvailabilityException

    weekly = defaultdict(list)  # practitioner -> [Availability]
    for a in Availability.objects.filter(clinic=clinic, valid_from__lte=end).exclude(
        valid_until__lt=start
    ):
        weekly[a.practitioner_id].append(a)
    exceptions = defaultdict(list)  # (practitioner, date) -> [AvailabilityException]
    for e in AvailabilityException.objects.filter(clinic=clinic, date__gte=start, date__lte=end):
        exceptions[e.practitioner_id, e.date].append(e)
    totals: dict = defaultdict(float)
    day = start
    while day <= end:
        for practitioner in set(weekly) | {p for p, d in exceptions if d == day}:
            spans = [
                (a.start_time, a.end_time)
                for a in weekly.get(practitioner, [])
                if a.applies_on(day)
            ]
            minutes = _day_minutes(spans, exceptions.get((practitioner, day), []))
            totals[day.replace(day=1)] += minutes / 60
        day += datetime.timedelta(days=1)
    return dict(totals)


def _day_minutes(spans, day_exceptions) -> float:
    """Minutes of one practitioner's day: weekly spans, less time off, plus extra hours."""
    minute_set = set()
    for start, end in spans:
        minute_set.update(range(_minute(start), _minute(end)))
    for e in sorted(day_exceptions, key=lambda e: e.is_available):  # time off, then extras
        if e.is_available:
            minute_set.update(range(_minute(e.start_time), _minute(e.end_time)))
        elif e.start_time is None:
            minute_set.clear()
        else:
            minute_set.difference_update(range(_minute(e.start_time), _minute(e.end_time)))
    return float(len(minute_set))


def _minute(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
