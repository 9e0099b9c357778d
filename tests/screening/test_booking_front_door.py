"""Online booking from the front door: whole days of times, and one chart per person."""

import datetime

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment
from tests.factories import PatientFactory
from tests.factories.scheduling import weekdays_open
from tests.screening.test_booking import contact
from tests.screening.test_views import screen

pytestmark = pytest.mark.django_db


def slots_by_day(client, clinic):
    response = client.get(reverse("screening:book", args=[clinic.slug]))
    return response.context["days"]


def test_booker_sees_the_whole_day_up_to_the_last_time(client, clinic_a, alice):
    weekdays_open(alice, clinic_a, start=datetime.time(8, 0), end=datetime.time(18, 0))
    screen(client, clinic_a)
    days = slots_by_day(client, clinic_a)
    # A full day (not the first day, which the online notice may shorten): 08:00 to 17:00, the
    # last start that leaves the 60-minute assessment inside opening hours.
    _, options = days[1]
    local = [slot.starts_at.astimezone(clinic_a.tz).time() for _, slot in options]
    assert local[0] == datetime.time(8, 0) and local[-1] == datetime.time(17, 0)
    assert len(options) > 6


def book(client, clinic, **extra):
    screen(client, clinic)
    value = slots_by_day(client, clinic)[1][1][0][0]
    return client.post(reverse("screening:book", args=[clinic.slug]), contact(value, **extra))


def test_booking_again_with_the_same_details_reuses_the_chart(client, clinic_a, alice):
    weekdays_open(alice, clinic_a)
    chart = PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=datetime.date(1971, 2, 3),
        email="RUTH@example.org",
    )
    response = book(client, clinic_a, given_name="ruth")
    assert response.status_code == 302
    assert Patient.objects.count() == 1
    assert Appointment.objects.get().patient == chart
    event = AuditEvent.objects.get(action="evaluation_request.book_online")
    assert event.details["existing_chart"] is True


def test_a_near_match_gets_its_own_chart_for_staff_to_review(client, clinic_a, alice):
    weekdays_open(alice, clinic_a)
    PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=datetime.date(1971, 2, 3),
        email="someone.else@example.org",
    )
    assert book(client, clinic_a).status_code == 302
    assert Patient.objects.count() == 2
