"""Clinical API: reads per patient and by UUID, create-session + sign through the same actions."""

import pytest

from imsclinic.clinical.models import TreatmentSession
from tests.conftest import login
from tests.factories import (
    AdverseEventFactory,
    AssessmentFactory,
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/clinical"


@pytest.fixture
def records(patient_a, alice):
    assessment = AssessmentFactory(
        patient=patient_a, practitioner=alice, accepted_segments=["L5-R"]
    )
    course = CourseOfCareFactory(patient=patient_a, practitioner=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, course=course)
    NeedlingRowFactory(session=session, muscle_id="piriformis", depth_mm=50)
    event = AdverseEventFactory(session=session)
    return {"assessment": assessment, "course": course, "session": session, "event": event}


def test_reads(client, alice, patient_a, records):
    login(client, alice)
    p = patient_a.uuid
    sessions = client.get(f"{BASE}/patients/{p}/sessions").json()
    assert sessions[0]["needling_rows"][0]["muscle_id"] == "piriformis"
    assert sessions[0]["needling_rows"][0]["segments"].startswith("S1")
    assert sessions[0]["adverse_events"][0]["kind"] == "bruising"
    one = client.get(f"{BASE}/sessions/{records['session'].uuid}").json()
    assert one["uuid"] == str(records["session"].uuid)
    assert client.get(f"{BASE}/patients/{p}/assessments").json()[0]["accepted_segments"] == ["L5-R"]
    assert client.get(f"{BASE}/assessments/{records['assessment'].uuid}").status_code == 200
    assert client.get(f"{BASE}/patients/{p}/courses").json()[0]["frequency_days"] == 7
    assert client.get(f"{BASE}/courses/{records['course'].uuid}").status_code == 200
    assert client.get(f"{BASE}/patients/{p}/adverse-events").json()[0]["severity"] == "mild"
    assert client.get(f"{BASE}/adverse-events/{records['event'].uuid}").status_code == 200


def test_access(client, bob, carol, patient_a, records):
    url = f"{BASE}/sessions/{records['session'].uuid}"
    assert client.get(url).status_code == 401
    login(client, bob)
    assert client.get(url).status_code == 403
    assert client.get(f"{BASE}/patients/{patient_a.uuid}/sessions").status_code == 403
    login(client, carol)
    assert client.get(url).status_code == 404
    assert client.get(f"{BASE}/patients/{patient_a.uuid}/sessions").status_code == 404


def test_create_and_sign_with_refusal(client, alice, patient_a):
    CourseOfCareFactory(patient=patient_a, practitioner=alice)
    login(client, alice)
    body = {
        "needles_in": 6,
        "needles_out": 5,
        "precheck_done": True,
        "clean_technique": {"skin_prep": True, "hand_hygiene": True, "sharps": True},
        "rows": [
            {
                "muscle_id": "gluteus_medius",
                "side": "R",
                "depth_mm": "35",
                "insertions": 3,
                "response": "grasp_1",
                "tolerance": "good",
            }
        ],
    }
    created = client.post(
        f"{BASE}/patients/{patient_a.uuid}/sessions", body, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    session_uuid = created.json()["uuid"]
    refused = client.post(f"{BASE}/sessions/{session_uuid}/sign")
    assert refused.status_code == 409
    reasons = refused.json()["reasons"]
    assert any("Needle count does not match: 6 in, 5 out" in r for r in reasons)
    assert any("No informed consent" in r for r in reasons)
    ConsentFactory(patient=patient_a, explained_by=alice)
    TreatmentSession.objects.filter(uuid=session_uuid).update(needles_out=6)
    signed = client.post(f"{BASE}/sessions/{session_uuid}/sign")
    assert signed.status_code == 200 and signed.json()["signed_at"]


def test_create_rejects_unknown_muscle_without_saving(client, alice, patient_a):
    login(client, alice)
    body = {
        "rows": [
            {
                "muscle_id": "nope",
                "side": "R",
                "depth_mm": "10",
                "response": "none",
                "tolerance": "good",
            }
        ]
    }
    response = client.post(
        f"{BASE}/patients/{patient_a.uuid}/sessions", body, content_type="application/json"
    )
    assert response.status_code == 422
    bad_side = {
        "rows": [
            {
                "muscle_id": "soleus",
                "side": "X",
                "depth_mm": "10",
                "response": "none",
                "tolerance": "good",
            }
        ]
    }
    response = client.post(
        f"{BASE}/patients/{patient_a.uuid}/sessions", bad_side, content_type="application/json"
    )
    assert response.status_code == 422
    assert not TreatmentSession.objects.exists()
