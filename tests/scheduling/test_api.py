"""The scheduling API follows the UI's rules."""

import json

import pytest

from imsclinic.scheduling.models import Appointment, Kind
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db
URL = "/api/v1/scheduling/appointments"


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401


def test_book_and_list_via_api(client, bob, alice, patient_a, clinic_a, open_hours):
    client.force_login(bob)
    start = at(clinic_a, 2, 10)
    response = post(
        client,
        URL,
        {
            "patient": str(patient_a.uuid),
            "practitioner": str(alice.uuid),
            "kind": "initial_assessment",
            "starts_at": start.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    listed = client.get(URL, {"date": start.astimezone(clinic_a.tz).date().isoformat()}).json()
    assert [a["uuid"] for a in listed] == [response.json()[0]["uuid"]]
    again = post(
        client,
        URL,
        {
            "patient": str(patient_a.uuid),
            "practitioner": str(alice.uuid),
            "kind": "initial_assessment",
            "starts_at": start.isoformat(),
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "taken"


def test_api_enforces_assessment_first(client, bob, alice, patient_a, clinic_a, open_hours):
    client.force_login(bob)
    response = post(
        client,
        URL,
        {
            "patient": str(patient_a.uuid),
            "practitioner": str(alice.uuid),
            "kind": Kind.IMS_TREATMENT,
            "starts_at": at(clinic_a, 2, 10).isoformat(),
            "count": 6,
        },
    )
    assert response.status_code == 409 and response.json()["code"] == "assessment_first"
    assert not Appointment.objects.exists()


def test_bad_input_is_422(client, bob):
    client.force_login(bob)
    assert post(client, URL, {"patient": "nope"}).status_code == 422


def test_other_clinic_patient_is_404(client, carol, alice, patient_a, clinic_a):
    client.force_login(carol)
    response = post(
        client,
        URL,
        {
            "patient": str(patient_a.uuid),
            "practitioner": str(alice.uuid),
            "kind": "initial_assessment",
            "starts_at": at(clinic_a, 2, 10).isoformat(),
        },
    )
    assert response.status_code == 404
