import datetime

import pytest

from imsclinic.scheduling.availability import local_datetime
from tests.factories.scheduling import weekdays_open


@pytest.fixture
def open_hours(alice, clinic_a):
    return weekdays_open(alice, clinic_a)


def at(clinic, days_ahead: int, hour: int, minute: int = 0):
    """An aware start `days_ahead` clinic-local days from today at hour:minute."""
    return local_datetime(
        clinic.today() + datetime.timedelta(days=days_ahead), datetime.time(hour, minute), clinic.tz
    )
