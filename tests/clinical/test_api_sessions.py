"""Session-create API: a strict schema (anything else is a 422), idempotent per client key (a
retry never resets counts or appends rows), and at most 60 rows."""

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import NeedlingRow, TreatmentSession
from tests.conftest import login

pytestmark = pytest.mark.django_db
BASE = "/api/v1/clinical"

BODY = {
    "needles_in": 6,
    "needles_out": 6,
    "precheck_done": True,
    "clean_technique": {"skin_prep": True, "hand_hygiene": True, "sharps": True},
    "rows": [
        {
            "muscle_id": "gluteus_medius",
            "side": "R",
            "depth_mm": "35",
            "insertions": 3,
            "response": "twitch",
            "tolerance": "good",
        }
    ],
}


def post(client, patient, body, **headers):
    return client.post(
        f"{BASE}/patients/{patient.uuid}/sessions",
        body,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "signed_at": "2026-01-01T00:00:00Z"},
        {**BODY, "rows": [{**BODY["rows"][0], "colour": "blue"}]},
        {**BODY, "clean_technique": {"skin_prep": True, "gloves": True}},
        {**BODY, "needles_in": "many"},
    ],
    ids=["unknown-field", "unknown-row-field", "unknown-nested-field", "wrong-type"],
)
def test_anything_but_the_schema_is_a_422_and_saves_nothing(client, alice, patient_a, body):
    login(client, alice)
    assert post(client, patient_a, body).status_code == 422
    assert not TreatmentSession.objects.exists()


def test_retry_with_the_same_key_returns_the_same_session_unchanged(client, alice, patient_a):
    login(client, alice)
    first = post(client, patient_a, BODY, **{"Idempotency-Key": "tablet-7-visit-1"})
    assert first.status_code == 201, first.content
    retry_body = {**BODY, "needles_in": 0, "needles_out": 0}
    retry = post(client, patient_a, retry_body, **{"Idempotency-Key": "tablet-7-visit-1"})
    assert retry.status_code == 200
    assert retry.json()["uuid"] == first.json()["uuid"]
    assert retry.json()["needles_in"] == 6 and len(retry.json()["needling_rows"]) == 1
    assert NeedlingRow.objects.count() == 1
    assert AuditEvent.objects.filter(action="session.row.add").count() == 1
    by_field = post(client, patient_a, {**BODY, "client_key": "tablet-7-visit-1"})
    assert by_field.status_code == 200 and by_field.json()["uuid"] == first.json()["uuid"]


def test_without_a_key_a_session_in_progress_is_not_charted_over(client, alice, patient_a):
    login(client, alice)
    assert post(client, patient_a, BODY).status_code == 201
    again = post(client, patient_a, {**BODY, "needles_in": 0, "needles_out": 0})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "This patient already has a session in progress (session 1). Finish or sign it before "
        "charting another."
    )
    session = TreatmentSession.objects.get()
    assert session.needles_in == 6 and session.needling_rows.count() == 1


def test_counts_are_not_defaulted(client, alice, patient_a):
    login(client, alice)
    body = {key: value for key, value in BODY.items() if not key.startswith("needles")}
    created = post(client, patient_a, body)
    assert created.status_code == 201
    assert created.json()["needles_in"] is None and created.json()["needles_out"] is None


def test_more_than_60_rows_is_a_422(client, alice, patient_a):
    login(client, alice)
    rows = [
        {
            "muscle_id": "deltoid",
            "side": "R",
            "depth_mm": "20",
            "response": "none",
            "tolerance": "good",
        }
    ] * 61
    assert post(client, patient_a, {**BODY, "rows": rows}).status_code == 422
    assert not TreatmentSession.objects.exists()
