"""Free time in the clinic's wall-clock time, across daylight-saving changes."""

import datetime

import pytest

from imsclinic.scheduling.availability import free_slots, local_datetime, windows_on
from imsclinic.scheduling.models import AvailabilityException
from tests.factories import AvailabilityFactory

pytestmark = pytest.mark.django_db

# 2025-03-09: clocks in America/Edmonton go forward at 02:00; 2025-11-02 they go back.
SPRING = datetime.date(2025, 3, 9)
AUTUMN = datetime.date(2025, 11, 2)


@pytest.mark.parametrize("day", [SPRING - datetime.timedelta(days=7), SPRING, AUTUMN])
def test_nine_oclock_stays_nine_oclock_across_dst(clinic_a, alice, day):
    AvailabilityFactory(practitioner=alice, clinic=clinic_a, weekday=day.weekday())
    windows = windows_on(alice, clinic_a, day)
    local = windows[0].start.astimezone(clinic_a.tz)
    assert (local.hour, local.minute) == (9, 0)
    assert windows[0].end - windows[0].start == datetime.timedelta(hours=8)


def test_utc_offset_differs_across_spring_forward(clinic_a):
    before = local_datetime(SPRING - datetime.timedelta(days=1), datetime.time(9), clinic_a.tz)
    after = local_datetime(SPRING + datetime.timedelta(days=1), datetime.time(9), clinic_a.tz)
    assert before.utcoffset() == datetime.timedelta(hours=-7)
    assert after.utcoffset() == datetime.timedelta(hours=-6)


def test_nonexistent_wall_clock_time_moves_past_the_gap(clinic_a):
    moved = local_datetime(SPRING, datetime.time(2, 30), clinic_a.tz)
    assert (moved.hour, moved.minute) == (3, 30)


def test_partial_time_off_and_extra_hours(clinic_a, alice):
    day = datetime.date(2030, 6, 3)
    AvailabilityFactory(practitioner=alice, clinic=clinic_a, weekday=day.weekday())
    AvailabilityException.objects.create(
        practitioner=alice,
        clinic=clinic_a,
        date=day,
        is_available=False,
        start_time=datetime.time(12),
        end_time=datetime.time(13),
    )
    AvailabilityException.objects.create(
        practitioner=alice,
        clinic=clinic_a,
        date=day,
        is_available=True,
        start_time=datetime.time(18),
        end_time=datetime.time(19),
    )
    hours = [
        (w.start.astimezone(clinic_a.tz).hour, w.end.astimezone(clinic_a.tz).hour)
        for w in windows_on(alice, clinic_a, day)
    ]
    assert hours == [(9, 12), (13, 17), (18, 19)]
    starts = {s.astimezone(clinic_a.tz).time() for s in free_slots(alice, clinic_a, day, 60)}
    assert datetime.time(11) in starts and datetime.time(11, 30) not in starts
    assert datetime.time(18) in starts


def test_valid_until_ends_weekly_hours(clinic_a, alice):
    day = datetime.date(2030, 6, 3)
    AvailabilityFactory(
        practitioner=alice,
        clinic=clinic_a,
        weekday=day.weekday(),
        valid_until=day - datetime.timedelta(days=1),
    )
    assert windows_on(alice, clinic_a, day) == []
