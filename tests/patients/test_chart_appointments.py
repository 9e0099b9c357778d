"""The chart summary's appointments section reads only the columns it shows
(scheduling/summary.py), so it must still show every one of them, and never fetch a deferred
field row by row: its query count does not grow with the appointments listed.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from imsclinic.scheduling.models import Kind, Status
from tests.factories import PatientFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


def _chart(client, patient):
    url = reverse("patients:chart", kwargs={"patient_uuid": patient.uuid})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_appointments_section_shows_what_it_reads_in_a_fixed_number_of_queries(
    client, alice, clinic_a
):
    patient = PatientFactory(clinic=clinic_a)
    now = timezone.now()

    def book(days: int, **fields):
        return AppointmentFactory(
            clinic=clinic_a,
            patient=patient,
            practitioner=alice,
            starts_at=now + datetime.timedelta(days=days),
            ends_at=now + datetime.timedelta(days=days, minutes=45),
            **fields,
        )

    booked = [book(1, kind=Kind.FOLLOW_UP_ASSESSMENT)]
    past = [book(-1, status=Status.COMPLETED)]
    client.force_login(alice)
    _chart(client, patient)  # the chart's cached sections and facts are stored
    _, queries_for_two = _chart(client, patient)

    booked += [book(days) for days in (2, 3, 4)]
    past += [book(-days, status=Status.NO_SHOW) for days in (2, 3)]
    page, queries_for_seven = _chart(client, patient)

    assert queries_for_seven == queries_for_two
    for appointment in booked + past:
        assert reverse("scheduling:appointment", args=[appointment.uuid]) in page
    upcoming, _, recent = page.partition("<h3>Recent</h3>")
    assert upcoming.count(alice.display_name) >= len(booked)
    assert Kind.FOLLOW_UP_ASSESSMENT.label in upcoming
    assert Status.COMPLETED.label in recent and Status.NO_SHOW.label in recent
    assert f"status-{Status.BOOKED}" in upcoming
