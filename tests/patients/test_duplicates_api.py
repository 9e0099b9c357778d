"""/api/v1/patients/{uuid}/duplicates and /merge."""

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import Assessment
from tests.conftest import login
from tests.factories import PatientFactory
from tests.factories.clinical import AssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(clinic_a):
    survivor = PatientFactory(
        clinic=clinic_a, given_name="Élise", family_name="Roy", email="e.roy@example.org"
    )
    duplicate = PatientFactory(
        clinic=clinic_a,
        given_name="elise",
        family_name="ROY",
        date_of_birth=survivor.date_of_birth,
        email="E.Roy@example.org",
    )
    return survivor, duplicate


def test_duplicates_lists_the_candidates_with_reasons(client, bob, pair):
    survivor, duplicate = pair
    login(client, bob)
    rows = client.get(f"/api/v1/patients/{survivor.uuid}/duplicates").json()
    assert [r["patient"]["uuid"] for r in rows] == [str(duplicate.uuid)]
    assert rows[0]["exact"] is True
    assert rows[0]["reasons"] == ["Same name", "same date of birth", "same email"]


def test_merge_by_the_clinic_admin(client, olivia, alice, pair):
    survivor, duplicate = pair
    AssessmentFactory(patient=duplicate, practitioner=alice)
    login(client, olivia)
    response = client.post(
        f"/api/v1/patients/{survivor.uuid}/merge",
        {"duplicate": str(duplicate.uuid)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["survivor"]["uuid"] == str(survivor.uuid)
    assert body["moved"] == {"assessments": 1} and body["kept"] == {}
    assert Assessment.objects.get().patient_id == survivor.pk
    again = client.post(
        f"/api/v1/patients/{survivor.uuid}/merge",
        {"duplicate": str(duplicate.uuid)},
        content_type="application/json",
    )
    assert again.status_code == 409 and "already merged" in again.json()["detail"]
    assert AuditEvent.objects.filter(action="patient.merge").count() == 1


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_merge_is_refused_to_other_roles(client, cast, pair, who):
    survivor, duplicate = pair
    login(client, cast[who])
    response = client.post(
        f"/api/v1/patients/{survivor.uuid}/merge",
        {"duplicate": str(duplicate.uuid)},
        content_type="application/json",
    )
    assert response.status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.is_active


def test_merge_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "post" in spec["paths"]["/api/v1/patients/{patient_uuid}/merge"]
    assert "get" in spec["paths"]["/api/v1/patients/{patient_uuid}/duplicates"]
