"""FHIR R4 (R4B models): reads, $everything, clinic scoping and validation of every resource."""

import datetime
import json

import pytest

from imsclinic.audit.models import ChartAccess
from imsclinic.gateway import actions as token_actions
from imsclinic.interop.fhir.common import LOINC, LOINC_PAIN_NRS, SNOMED, fhir_class
from tests.interop.conftest import bearer, fhir_json

pytestmark = pytest.mark.django_db

EXPECTED_TYPES = {
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Encounter",
    "Condition",
    "Procedure",
    "Device",
    "Observation",
    "Questionnaire",
    "QuestionnaireResponse",
    "Consent",
    "AdverseEvent",
    "CarePlan",
}


def validate(resource: dict):
    """Parse exported JSON back with the R4B class of its type (raises when invalid)."""
    return fhir_class(resource["resourceType"]).model_validate(resource)


def everything(client, patient, token):
    response = client.get(f"/api/v1/fhir/Patient/{patient.uuid}/$everything", **bearer(token))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    return fhir_json(response)


def by_type(bundle):
    result = {}
    for entry in bundle["entry"]:
        result.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return result


def test_everything_bundle_has_every_resource_type_and_validates(
    client, full_record, patient_a, alice_token
):
    bundle = everything(client, patient_a, alice_token)
    validate(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
    resources = by_type(bundle)
    assert set(resources) == EXPECTED_TYPES
    assert bundle["total"] == len(bundle["entry"])
    ids = [(r["resourceType"], r["id"]) for r in (e["resource"] for e in bundle["entry"])]
    assert len(ids) == len(set(ids)), "every resource appears once"


def test_procedures_carry_body_site_laterality_and_the_needle_device(
    client, full_record, patient_a, alice_token
):
    resources = by_type(everything(client, patient_a, alice_token))
    procedures = sorted(resources["Procedure"], key=lambda p: p["id"])
    assert len(procedures) == 2
    first, second = procedures
    site = first["bodySite"][0]
    assert site["coding"][0]["code"] == "gluteus_medius"
    laterality = site["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert (laterality["system"], laterality["code"]) == (SNOMED, "24028007")
    bilateral = second["bodySite"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert bilateral["code"] == "51440002"
    assert first["encounter"]["reference"] == f"Encounter/{full_record['session'].uuid}"
    devices = {d["id"]: d for d in resources["Device"]}
    assert {d["lotNumber"] for d in devices.values()} == {"LOT-2291", "LOT-7"}
    for procedure in procedures:
        device_ref = procedure["usedReference"][0]["reference"].split("/")[1]
        assert device_ref in devices
    # Procedures point at the conditions the course addresses.
    condition_ids = {c["id"] for c in resources["Condition"]}
    reasons = {r["reference"].split("/")[1] for r in first["reasonReference"]}
    assert reasons and reasons <= condition_ids


def test_conditions_use_icd10_and_pain_uses_loinc(client, full_record, patient_a, alice_token):
    resources = by_type(everything(client, patient_a, alice_token))
    codes = {
        (c["system"], c["code"])
        for condition in resources["Condition"]
        for c in condition["code"]["coding"]
        if "icd-10" in c["system"]
    }
    # M54.5, M79.1 from the assessment; M54.4 only from the course.
    assert {code for _, code in codes} == {"M54.5", "M79.1", "M54.4"}
    pain = [
        o
        for o in resources["Observation"]
        if o["code"]["coding"][0]
        == {**o["code"]["coding"][0], "system": LOINC, "code": LOINC_PAIN_NRS}
    ]
    assert sorted(o["valueQuantity"]["value"] for o in pain) == [3, 6]
    scores = [o for o in resources["Observation"] if "derivedFrom" in o]
    assert scores[0]["derivedFrom"][0]["reference"] == (
        f"QuestionnaireResponse/{full_record['response'].uuid}"
    )
    adverse = resources["AdverseEvent"][0]
    assert adverse["suspectEntity"][0]["instance"]["reference"].startswith("Procedure/")
    assert resources["Consent"][0]["status"] == "active"
    assert (
        resources["CarePlan"][0]["activity"][0]["detail"]["scheduledTiming"]["repeat"]["count"] == 8
    )


def test_every_resource_can_be_read_by_id_with_the_same_content(
    client, full_record, patient_a, alice_token
):
    bundle = everything(client, patient_a, alice_token)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        url = f"/api/v1/fhir/{resource['resourceType']}/{resource['id']}"
        response = client.get(url, **bearer(alice_token))
        assert response.status_code == 200, url
        assert response.json() == resource, url
        assert entry["fullUrl"].endswith(url.removeprefix("/api/v1/fhir"))


def test_everything_logs_a_chart_access(client, full_record, patient_a, alice_token):
    everything(client, patient_a, alice_token)
    assert ChartAccess.objects.filter(patient_uuid=patient_a.uuid, what="fhir.everything").exists()


def test_clinic_a_token_cannot_read_clinic_b_by_id(
    client, carol, patient_a, full_record, alice_token
):
    _, raw = token_actions.create_personal_token(user=carol, by=carol, name="t")
    session = full_record["session"]
    paths = [
        f"/api/v1/fhir/Patient/{patient_a.uuid}",
        f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything",
        f"/api/v1/fhir/Encounter/{session.uuid}",
        f"/api/v1/fhir/Procedure/{session.uuid}-p0",
        f"/api/v1/fhir/Observation/{session.uuid}-pain-before",
        f"/api/v1/fhir/Consent/{full_record['consent'].uuid}",
        f"/api/v1/fhir/CarePlan/{full_record['course'].uuid}",
        f"/api/v1/fhir/QuestionnaireResponse/{full_record['response'].uuid}",
        f"/api/v1/fhir/Organization/{patient_a.clinic.uuid}",
        f"/api/v1/fhir/Practitioner/{full_record['session'].practitioner.uuid}",
    ]
    for path in paths:
        assert client.get(path, **bearer(raw)).status_code == 404, path
        # ... while alice (clinic A) reads each of them.
        assert client.get(path, **bearer(alice_token)).status_code == 200, path


def test_clinic_b_cannot_read_clinic_a_bills_by_id(client, carol, clinic_b, billing_record, olivia):
    """The billing resources too: carol's token (clinic B) gets a 404 for each, even for the
    payer Organization named on clinic A's coverage; olivia (clinic A's admin) reads them."""
    _, raw = token_actions.create_personal_token(user=carol, by=carol, name="t")
    _, admin = token_actions.create_personal_token(user=olivia, by=olivia, name="t")
    _, partner = token_actions.create_integration_token(
        clinic=clinic_b, by=None, name="Insurer", scopes=["read", "fhir"]
    )
    invoice, claim = billing_record["split"], billing_record["claim"]
    paths = [
        f"/api/v1/fhir/Invoice/{invoice.uuid}",
        f"/api/v1/fhir/ChargeItem/{invoice.uuid}-l0",
        f"/api/v1/fhir/Coverage/{billing_record['plan'].uuid}",
        f"/api/v1/fhir/PaymentReconciliation/{billing_record['debit'].uuid}",
        f"/api/v1/fhir/Claim/{claim.uuid}",
        f"/api/v1/fhir/ClaimResponse/{claim.uuid}-response",
    ]
    bundle = fhir_json(
        client.get(f"/api/v1/fhir/Patient/{invoice.patient.uuid}/$everything", **bearer(admin))
    )
    payer = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"].get("name") == "Sun Life"
    )
    paths.append(f"/api/v1/fhir/Organization/{payer}")
    for path in paths:
        assert client.get(path, **bearer(raw)).status_code == 404, path
        assert client.get(path, **bearer(partner)).status_code == 404, path
        assert client.get(path, **bearer(admin)).status_code == 200, path


def test_integration_token_of_clinic_b_cannot_read_clinic_a(
    client, clinic_b, patient_a, full_record
):
    _, raw = token_actions.create_integration_token(
        clinic=clinic_b, by=None, name="Insurer", scopes=["read", "fhir"]
    )
    assert client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}", **bearer(raw)).status_code == 404
    encounter = f"/api/v1/fhir/Encounter/{full_record['session'].uuid}"
    assert client.get(encounter, **bearer(raw)).status_code == 404


def test_integration_token_needs_the_fhir_scope(client, clinic_a, patient_a):
    _, raw = token_actions.create_integration_token(
        clinic=clinic_a, by=None, name="X", scopes=["read"]
    )
    response = client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}", **bearer(raw))
    assert response.status_code == 403
    assert "fhir" in response.json()["detail"]


def test_front_desk_reads_demographics_but_not_clinical_resources(
    client, bob, full_record, patient_a
):
    client.force_login(bob)
    assert client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}").status_code == 200
    session = full_record["session"]
    assert client.get(f"/api/v1/fhir/Procedure/{session.uuid}-p0").status_code == 403
    assert client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything").status_code == 403


def test_unknown_and_malformed_ids_are_404_or_422(client, alice_token, full_record):
    session = full_record["session"]
    assert (
        client.get(f"/api/v1/fhir/Procedure/{session.uuid}-p9", **bearer(alice_token)).status_code
        == 404
    )
    assert client.get("/api/v1/fhir/Encounter/not-a-uuid", **bearer(alice_token)).status_code == 404
    assert client.get("/api/v1/fhir/Encounter/bad_id!", **bearer(alice_token)).status_code in (
        404,
        422,
    )
    assert client.get("/api/v1/fhir/Questionnaire/nprs", **bearer(alice_token)).status_code == 200


def test_patient_with_no_clinical_records_still_exports(client, patient_a, alice_token):
    bundle = everything(client, patient_a, alice_token)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"Patient", "Organization"}
    json.dumps(bundle)


# ---- plain-dict building: the output is exactly what fhir.resources validates and serialises --
def test_every_exported_resource_is_what_its_r4b_class_serialises(
    client, full_record, patient_a, alice_token
):
    """The mappers build plain dicts on the request path (pydantic construction took seconds for a
    500-session chart). Each must validate and come back unchanged from its R4B class's own
    serialisation, so nothing the library would reject or normalise differently is exported."""
    bundle = everything(client, patient_a, alice_token)
    assert validate(bundle).model_dump(mode="json", exclude_none=True) == bundle
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert validate(resource).model_dump(mode="json", exclude_none=True) == resource


@pytest.fixture
def broken_organization(monkeypatch):
    """A mapping bug: an Organization whose `active` is not a boolean."""
    from imsclinic.interop.fhir import collect
    from imsclinic.interop.fhir.common import build

    real = collect.organization

    def broken(clinic):
        resource = dict(real(clinic))
        resource.pop("resourceType")
        return build("Organization", {**resource, "active": "sometimes"})

    monkeypatch.setattr(collect, "organization", broken)


def test_validate_parameter_checks_every_resource_at_run_time(
    client, full_record, patient_a, alice_token, broken_organization
):
    from pydantic import ValidationError

    url = f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything"
    # The fast path does not validate: the tests above are what guarantee valid output.
    assert client.get(url, **bearer(alice_token)).status_code == 200
    with pytest.raises(ValidationError):
        client.get(f"{url}?validate=true", **bearer(alice_token))


def test_fhir_validate_setting_validates_every_build(
    client, full_record, patient_a, alice_token, broken_organization, settings
):
    from pydantic import ValidationError

    settings.FHIR_VALIDATE = True
    with pytest.raises(ValidationError):
        client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything", **bearer(alice_token))


def test_strict_validation_block_and_prune():
    from pydantic import ValidationError

    from imsclinic.interop.fhir.common import build, prune, strict_validation

    bad = {"id": "x", "active": "sometimes"}
    assert build("Patient", bad) == {"resourceType": "Patient", "id": "x", "active": "sometimes"}
    with strict_validation(), pytest.raises(ValidationError):
        build("Patient", bad)
    assert build("Patient", {"id": "x", "active": False, "name": [{"given": [""]}]}) == {
        "resourceType": "Patient",
        "id": "x",
        "active": False,
    }
    shared = {"system": "s", "code": "c", "display": None}
    first, second = prune({"a": [shared]}), prune({"b": (shared, 0, "", [], {})})
    assert first == {"a": [{"system": "s", "code": "c"}]} and second == {"b": [first["a"][0], 0]}
    assert first["a"][0] is not second["b"][0], "pruned output never aliases its input"


def test_everything_queries_do_not_grow_with_courses(client, patient_a, alice, alice_token):
    """Each course's Condition references map its assessment's Conditions, which name the
    patient: without select_related that was one query per course."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AssessmentFactory, CourseOfCareFactory

    def add_course():
        assessment = AssessmentFactory(patient=patient_a, practitioner=alice, icd10_codes=["M54.5"])
        CourseOfCareFactory(  # earlier courses are discharged: one active course per patient
            patient=patient_a,
            practitioner=alice,
            assessment=assessment,
            icd10_codes=["M54.4"],
            status="discharged",
            discharged_on=datetime.date(2024, 1, 31),
        )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            everything(client, patient_a, alice_token)
        return len(ctx.captured_queries)

    add_course()
    count()
    few = count()
    for _ in range(3):
        add_course()
    assert count() == few
