"""Input that used to raise a server error now gets a clear 4xx (issue 13, finding 9): front desk
on clinical FHIR reads, dates outside the calendar, NUL and control characters, deep JSON."""

import json

import pytest
from django.urls import reverse

from imsclinic.gateway.actions import create_personal_token
from imsclinic.patients.models import Patient
from tests.interop.conftest import full_record  # noqa: F401

pytestmark = pytest.mark.django_db


def bearer(user):
    _, raw = create_personal_token(user=user, by=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- Front desk on clinical FHIR reads: 403 -------------------------------------------------


def test_front_desk_gets_403_on_everything_and_every_clinical_read(
    client,
    bob,
    full_record,  # noqa: F811
):
    ids = {
        "Encounter": full_record["session"].uuid,
        "Condition": full_record["assessment"].uuid,
        "Procedure": full_record["session"].uuid,
        "Device": full_record["session"].uuid,
        "Observation": full_record["session"].uuid,
        "CarePlan": full_record["course"].uuid,
        "Consent": full_record["consent"].uuid,
        "AdverseEvent": full_record["event"].uuid,
        "QuestionnaireResponse": full_record["response"].uuid,
    }
    headers = bearer(bob)
    patient = full_record["session"].patient
    paths = [f"/api/v1/fhir/Patient/{patient.uuid}/$everything"]
    paths += [f"/api/v1/fhir/{kind}/{uid}" for kind, uid in ids.items()]
    for path in paths:
        response = client.get(path, **headers)
        assert response.status_code == 403, path
        assert "not available to your role" in response.json()["detail"]


# --- Dates outside the calendar ---------------------------------------------------------------

OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "0", "20261126"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_api_appointment_and_slot_dates_are_bounded(client, alice, value):
    headers = bearer(alice)
    listed = client.get("/api/v1/scheduling/appointments", {"date": value}, **headers)
    assert listed.status_code == 422, listed.content
    slots = client.get(
        "/api/v1/scheduling/slots", {"date": value, "practitioner": str(alice.uuid)}, **headers
    )
    assert slots.status_code == 422, slots.content


def test_api_booking_in_year_9999_is_refused(client, alice, patient_a):
    response = client.post(
        "/api/v1/scheduling/appointments",
        {
            "patient": str(patient_a.uuid),
            "practitioner": str(alice.uuid),
            "kind": "ims_treatment",
            "starts_at": "9999-12-31T23:30:00+00:00",
        },
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 422
    assert "between 1900-01-01 and 2199-12-31" in response.content.decode()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "0"])
def test_schedule_page_date_is_bounded(client, alice, value):
    client.force_login(alice)
    response = client.get(reverse("scheduling:day"), {"date": value})
    assert response.status_code == 400
    assert "between 1900-01-01 and 2199-12-31" in response.content.decode()


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_analytics_and_its_csv_refuse_dates_outside_the_calendar(client, olivia, field, value):
    client.force_login(olivia)
    page = client.get(reverse("outcomes:analytics"), {field: value})
    assert page.status_code == 400
    assert "between 1900-01-01 and 2199-12-31" in page.content.decode()
    assert client.get(reverse("outcomes:analytics-csv"), {field: value}).status_code == 400


# --- NUL and other control characters ---------------------------------------------------------


def test_nul_in_patient_search_is_a_400(client, alice, patient_a):
    client.force_login(alice)
    response = client.get(reverse("patients:list"), {"q": "Ngu\x00yen"})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    api = client.get("/api/v1/patients", {"q": "a\x00"}, **bearer(alice))
    assert api.status_code == 400 and "control characters" in api.json()["detail"]


def test_nul_in_a_form_field_saves_nothing(client, alice, patient_a):
    client.force_login(alice)
    url = reverse("patients:edit", kwargs={"patient_uuid": patient_a.uuid})
    response = client.post(url, {"given_name": "Pat\x00", "family_name": "Nguyen"})
    assert response.status_code == 400
    patient_a.refresh_from_db()
    assert patient_a.given_name == "Patricia"


@pytest.mark.parametrize(
    "value, status", [("MRN\x00123", 400), ("MRN\x1b[31m", 422), ("MRN\x7f", 422)]
)
def test_control_characters_in_fhir_identifiers_are_refused(client, alice, value, status):
    resource = {
        "resourceType": "Patient",
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "value": value,
            }
        ],
        "name": [{"family": "Doe", "given": ["Jane"]}],
        "birthDate": "1980-01-01",
    }
    response = client.post(
        "/api/v1/fhir/Patient",
        json.dumps(resource),
        content_type="application/fhir+json",
        **bearer(alice),
    )
    # NUL: refused before anything reads the body; other control characters: by the importer.
    assert response.status_code == status, response.content
    assert not Patient.objects.filter(family_name="Doe").exists()


def test_nul_in_a_path_is_a_400(client, alice):
    response = client.get("/api/v1/fhir/Questionnaire/nprs%00x", **bearer(alice))
    assert response.status_code == 400


def test_tabs_and_line_breaks_are_still_fine(client, alice):
    client.force_login(alice)
    assert client.get(reverse("patients:list"), {"q": "Ng\tu"}).status_code == 200


# --- JSON nesting ---------------------------------------------------------------------------


def test_json_nested_120_deep_is_a_400(client, alice):
    deep = "x"
    for _ in range(120):
        deep = {"a": deep}
    for path in ("/api/v1/patients", "/api/v1/fhir/Patient"):
        response = client.post(
            path, json.dumps(deep), content_type="application/json", **bearer(alice)
        )
        assert response.status_code == 400, path
        assert "nested more than" in response.json()["detail"]
