"""Free time: weekly hours and one-day exceptions, in the clinic's wall-clock time.

Converting with zoneinfo keeps "Tuesday 09:00" at 09:00 local on both sides of a daylight-saving
change. A wall-clock time that does not exist (the spring-forward gap) is moved to the first real
instant after it; an ambiguous one (fall-back) takes its first occurrence.
"""

import datetime
from dataclasses import dataclass

from imsclinic.scheduling.models import (
    Appointment,
    Availability,
    AvailabilityException,
    Closure,
)

UTC = datetime.UTC
DEFAULT_STEP_MINUTES = 30


def local_datetime(day: datetime.date, at: datetime.time, tz) -> datetime.datetime:
    """An aware datetime for wall-clock `at` on `day` in `tz`, normalised past DST gaps."""
    naive = datetime.datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    normalised = aware.astimezone(UTC).astimezone(tz)
    return normalised


@dataclass(frozen=True)
class Window:
    start: datetime.datetime
    end: datetime.datetime

    def contains(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        return self.start <= start and end <= self.end


def _subtract(windows: list[Window], cut: Window) -> list[Window]:
    result = []
    for w in windows:
        if cut.end <= w.start or cut.start >= w.end:
            result.append(w)
            continue
        if w.start < cut.start:
            result.append(Window(w.start, cut.start))
        if cut.end < w.end:
            result.append(Window(cut.end, w.end))
    return result


def windows_on(
    practitioner, clinic, day: datetime.date, *, weekly=None, exceptions=None, closed=None
):
    """The practitioner's working windows at `clinic` on local date `day` (aware datetimes).
    Nothing on a day the clinic is closed (`closed`: the caller already knows)."""
    tz = clinic.tz
    if closed is None:
        closed = Closure.objects.filter(clinic=clinic, date=day).exists()
    if closed:
        return []
    if weekly is None:
        weekly = Availability.objects.filter(
            practitioner=practitioner, clinic=clinic, weekday=day.weekday()
        )
    if exceptions is None:
        exceptions = AvailabilityException.objects.filter(
            practitioner=practitioner, clinic=clinic, date=day
        )
    windows = [
        Window(local_datetime(day, a.start_time, tz), local_datetime(day, a.end_time, tz))
        for a in weekly
        if a.applies_on(day)
    ]
    day_exceptions = [e for e in exceptions if e.date == day]
    for exc in day_exceptions:
        if exc.is_available:
            windows.append(
                Window(
                    local_datetime(day, exc.start_time, tz), local_datetime(day, exc.end_time, tz)
                )
            )
    for exc in day_exceptions:
        if not exc.is_available:
            if exc.start_time is None:
                return []
            windows = _subtract(
                windows,
                Window(
                    local_datetime(day, exc.start_time, tz), local_datetime(day, exc.end_time, tz)
                ),
            )
    return _merge(windows)


def _merge(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: w.start):
        if merged and w.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return merged


def is_within_availability(practitioner, clinic, start, end) -> bool:
    day = start.astimezone(clinic.tz).date()
    return any(w.contains(start, end) for w in windows_on(practitioner, clinic, day))


def conflicts(practitioner, start, end, *, patient=None, exclude_pk=None, exclude_pks=()):
    """Active appointments that overlap [start, end) for the practitioner (at any clinic: one
    person cannot be in two places) or for the patient."""
    from django.db.models import Q

    who = Q(practitioner=practitioner)
    if patient is not None:
        who |= Q(patient=patient)
    qs = Appointment.objects.blocking().overlapping(start, end).filter(who)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if exclude_pks:
        qs = qs.exclude(pk__in=list(exclude_pks))
    return qs


def free_slots(
    practitioner,
    clinic,
    day: datetime.date,
    minutes: int,
    *,
    not_before: datetime.datetime | None = None,
    step_minutes: int = DEFAULT_STEP_MINUTES,
    patient=None,
    exclude_pks=(),
) -> list[datetime.datetime]:
    """Start times on local `day` where a `minutes`-long visit fits with no conflict."""
    windows = windows_on(practitioner, clinic, day)
    if not windows:
        return []
    length = datetime.timedelta(minutes=minutes)
    busy = list(
        conflicts(
            practitioner,
            windows[0].start,
            windows[-1].end,
            patient=patient,
            exclude_pks=exclude_pks,
        ).values_list("starts_at", "ends_at")
    )
    step = datetime.timedelta(minutes=step_minutes)
    slots = []
    for w in windows:
        start = w.start
        while start + length <= w.end:
            end = start + length
            if (not_before is None or start >= not_before) and not any(
                b_start < end and b_end > start for b_start, b_end in busy
            ):
                slots.append(start)
            start += step
    return slots


def alternatives_near(
    practitioner,
    clinic,
    wanted: datetime.datetime,
    minutes: int,
    *,
    patient=None,
    days_around: int = 2,
    limit: int = 3,
    not_before: datetime.datetime | None = None,
    exclude_pks=(),
) -> list[datetime.datetime]:
    """Free starts closest to `wanted`: same day first, then up to `days_around` days away."""
    local_day = wanted.astimezone(clinic.tz).date()
    candidates = []
    for offset in range(-days_around, days_around + 1):
        day = local_day + datetime.timedelta(days=offset)
        candidates += free_slots(
            practitioner,
            clinic,
            day,
            minutes,
            patient=patient,
            not_before=not_before,
            exclude_pks=exclude_pks,
        )
    candidates.sort(
        key=lambda s: (abs(s.astimezone(clinic.tz).date() - local_day), abs(s - wanted))
    )
    return candidates[:limit]
