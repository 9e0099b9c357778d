"""Onboarding from FHIR: a Patient or a Bundle of Patients, validated like the registration form."""

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.gateway import actions as token_actions
from imsclinic.interop.fhir.common import fhir_class
from imsclinic.patients.models import Patient
from tests.interop.conftest import bearer

pytestmark = pytest.mark.django_db

FHIR = "application/fhir+json"


def fhir_patient(**overrides):
    resource = {
        "resourceType": "Patient",
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "value": "A-1001",
            }
        ],
        "name": [
            {"use": "official", "family": "Tremblay", "given": ["Élodie"]},
            {"use": "usual", "given": ["Lodie"]},
        ],
        "gender": "female",
        "birthDate": "1975-04-12",
        "telecom": [
            {"system": "phone", "value": "(403) 555-0101"},
            {"system": "email", "value": "elodie@example.org"},
        ],
        "address": [
            {
                "line": ["12 Main St", "Unit 4"],
                "city": "Calgary",
                "state": "ab",
                "postalCode": "T2T 0B8",
            }
        ],
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "fr-CA"}]}}
        ],
    }
    resource.update(overrides)
    return resource


def post(client, path, payload, token):
    return client.post(path, payload, content_type=FHIR, **bearer(token))


def test_import_one_patient_creates_it_audited_and_reads_back(client, alice_token, clinic_a):
    response = post(client, "/api/v1/fhir/Patient", fhir_patient(), alice_token)
    assert response.status_code == 201, response.content
    created = Patient.objects.get()
    assert (created.given_name, created.family_name, created.preferred_name) == (
        "Élodie",
        "Tremblay",
        "Lodie",
    )
    assert created.chart_number == "A-1001" and created.region == "AB"
    assert created.preferred_language == "fr" and created.address_line2 == "Unit 4"
    assert response["Location"].endswith(f"/api/v1/fhir/Patient/{created.uuid}")
    body = response.json()
    fhir_class("Patient").model_validate(body)
    assert body["id"] == str(created.uuid)
    assert AuditEvent.objects.filter(action="patient.create").count() == 1
    assert AuditEvent.objects.filter(action="fhir.import").count() == 1


def test_invalid_patient_is_422_with_an_operation_outcome(client, alice_token):
    bad = fhir_patient(birthDate="2999-01-01", name=[{"family": "Only"}])
    response = post(client, "/api/v1/fhir/Patient", bad, alice_token)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    fhir_class("OperationOutcome").model_validate(outcome)
    text = " ".join(issue["diagnostics"] for issue in outcome["issue"])
    assert "given name" in text
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"resourceType": "Observation"}',
        b'{"resourceType": "Patient", "birthDate": "x"}',
    ],
)
def test_malformed_bodies_are_422_never_500(client, alice_token, body):
    response = client.post("/api/v1/fhir/Patient", body, content_type=FHIR, **bearer(alice_token))
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"


def test_bundle_import_is_all_or_nothing(client, alice_token):
    good = fhir_patient()
    second = fhir_patient(identifier=[], name=[{"family": "Lee", "given": ["Ann"]}])
    bad = fhir_patient(identifier=[], telecom=[{"system": "phone", "value": "12"}])
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"resource": good}, {"resource": second}, {"resource": bad}],
    }
    response = post(client, "/api/v1/fhir", bundle, alice_token)
    assert response.status_code == 422
    expressions = [i["expression"][0] for i in response.json()["issue"]]
    assert expressions == ["Bundle.entry[2].resource.phone"]
    assert not Patient.objects.exists()

    bundle["entry"].pop()
    response = post(client, "/api/v1/fhir", bundle, alice_token)
    assert response.status_code == 200, response.content
    result = response.json()
    fhir_class("Bundle").model_validate(result)
    assert result["type"] == "batch-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created"] * 2
    assert Patient.objects.count() == 2


def test_duplicate_chart_numbers_are_refused(client, alice_token, patient_a):
    taken = fhir_patient(
        identifier=[{"type": {"coding": [{"code": "MR"}]}, "value": patient_a.chart_number}]
    )
    response = post(client, "/api/v1/fhir/Patient", taken, alice_token)
    assert response.status_code == 422
    assert "already in use" in response.json()["issue"][0]["diagnostics"]
    twice = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": fhir_patient()}, {"resource": fhir_patient()}],
    }
    assert post(client, "/api/v1/fhir", twice, alice_token).status_code == 422
    assert Patient.objects.count() == 1


def test_import_needs_write_and_fhir_scopes_and_lands_in_the_token_clinic(
    client, clinic_a, clinic_b
):
    _, read_only = token_actions.create_integration_token(
        clinic=clinic_a, by=None, name="r", scopes=["read", "fhir"]
    )
    assert post(client, "/api/v1/fhir/Patient", fhir_patient(), read_only).status_code == 403
    _, writer = token_actions.create_integration_token(
        clinic=clinic_a, by=None, name="w", scopes=["write", "fhir"]
    )
    assert post(client, "/api/v1/fhir/Patient", fhir_patient(), writer).status_code == 201
    assert Patient.objects.get().clinic == clinic_a
    response = post(
        client, f"/api/v1/fhir/Patient?clinic={clinic_b.uuid}", fhir_patient(identifier=[]), writer
    )
    assert response.status_code == 404


def test_exported_patient_imports_back(client, alice_token, patient_a, clinic_a):
    exported = client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}", **bearer(alice_token)).json()
    exported.pop("id")
    exported["identifier"] = [
        i for i in exported["identifier"] if i["type"]["coding"][0]["code"] != "MR"
    ]
    response = post(client, "/api/v1/fhir/Patient", exported, alice_token)
    assert response.status_code == 201, response.content
    copy = Patient.objects.exclude(pk=patient_a.pk).get()
    for field in ("given_name", "family_name", "date_of_birth", "sex", "phone", "email"):
        assert getattr(copy, field) == getattr(patient_a, field), field
