import datetime
import decimal

import factory

from imsclinic.scheduling.availability import local_datetime
from imsclinic.scheduling.models import DURATIONS, Appointment, Availability, Kind, Service
from tests.factories.accounts import ClinicFactory, UserFactory
from tests.factories.patients import PatientFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"IMS treatment {n}")
    kind = Kind.IMS_TREATMENT
    duration_minutes = 30
    price = decimal.Decimal("95.00")


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    clinic = factory.SubFactory(ClinicFactory)
    practitioner = factory.SubFactory(UserFactory)
    weekday = 0
    start_time = datetime.time(9, 0)
    end_time = datetime.time(17, 0)
    valid_from = datetime.date(2020, 1, 1)


def weekdays_open(practitioner, clinic, *, start=datetime.time(8, 0), end=datetime.time(18, 0)):
    """Give a practitioner hours every day of the week (tests don't care which weekday it is)."""
    return [
        AvailabilityFactory(
            practitioner=practitioner, clinic=clinic, weekday=day, start_time=start, end_time=end
        )
        for day in range(7)
    ]


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment written directly (bypassing the booking rules) for test set-up."""

    class Meta:
        model = Appointment

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    practitioner = factory.SubFactory(UserFactory)
    kind = Kind.INITIAL_ASSESSMENT
    starts_at = factory.LazyAttribute(
        lambda o: local_datetime(
            o.clinic.today() + datetime.timedelta(days=1), datetime.time(10, 0), o.clinic.tz
        )
    )
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + datetime.timedelta(minutes=DURATIONS[o.kind])
    )
