"""Online booking after self-screening: new patients book an initial assessment only."""

import pytest
from django.core import mail
from django.urls import reverse

from imsclinic.scheduling.models import Appointment
from imsclinic.screening.models import EvaluationRequest
from tests.factories.scheduling import weekdays_open
from tests.screening.test_views import screen

pytestmark = pytest.mark.django_db


def contact(slot, **extra):
    return {
        "slot": slot,
        "mode": "in_clinic",
        "given_name": "Ruth",
        "family_name": "Ames",
        "email": "ruth@example.org",
        "date_of_birth": "1971-02-03",
        "agree": "on",
        **extra,
    }


def first_slot(client, clinic):
    response = client.get(reverse("screening:book", args=[clinic.slug]))
    return response.context["days"][0][1][0][0]


def test_visitor_books_an_initial_assessment(
    client, clinic_a, alice, django_capture_on_commit_callbacks
):
    weekdays_open(alice, clinic_a)
    screen(client, clinic_a)
    slot = first_slot(client, clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:book", args=[clinic_a.slug]), contact(slot))
    assert response["Location"] == reverse("screening:booked", args=[clinic_a.slug])
    appointment = Appointment.objects.get()
    assert appointment.kind == "initial_assessment" and appointment.booked_via == "online"
    request = EvaluationRequest.objects.get()
    assert request.patient == appointment.patient and request.status == "booked"
    assert mail.outbox and mail.outbox[0].to == ["ruth@example.org"]
    assert "is booked" in client.get(response["Location"]).content.decode()


def test_slot_taken_meanwhile_saves_nothing(client, clinic_a, alice):
    weekdays_open(alice, clinic_a)
    screen(client, clinic_a)
    slot = first_slot(client, clinic_a)
    other = client.__class__()
    screen(other, clinic_a)
    other.post(
        reverse("screening:book", args=[clinic_a.slug]), contact(slot, email="x@example.org")
    )
    response = client.post(reverse("screening:book", args=[clinic_a.slug]), contact(slot))
    assert response.status_code == 200
    assert "no longer available" in response.content.decode()
    assert Appointment.objects.count() == 1
    assert EvaluationRequest.objects.count() == 1


def test_no_online_slot_is_ever_needling(client, clinic_a, alice):
    weekdays_open(alice, clinic_a)
    screen(client, clinic_a)
    slot = first_slot(client, clinic_a)
    response = client.post(
        reverse("screening:book", args=[clinic_a.slug]), contact(slot, kind="ims_treatment")
    )
    assert Appointment.objects.get().kind == "initial_assessment"
    assert response.status_code == 302
