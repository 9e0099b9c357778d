"""/api/v1/outcomes: responses and scores, with the UI's access rules."""

import pytest

pytestmark = pytest.mark.django_db


def url(patient, what):
    return f"/api/v1/outcomes/patients/{patient.uuid}/{what}"


def test_scores_endpoint_reports_baseline_latest_and_mcid_status(client, alice, improving_course):
    client.force_login(alice)
    data = client.get(url(improving_course.patient, "scores")).json()
    nprs = next(row for row in data if row["instrument"] == "nprs")
    assert (nprs["baseline"], nprs["latest"], nprs["change"], nprs["status"]) == (
        8,
        3,
        -5,
        "improved",
    )
    assert nprs["mcid"] == 2 and len(nprs["points"]) == 3


def test_post_response_is_scored_by_the_server_and_invalid_answers_are_422(
    client, alice, improving_course
):
    client.force_login(alice)
    patient = improving_course.patient
    ok = client.post(
        url(patient, "responses"),
        {
            "instrument": "nprs",
            "answers": {"pain": 4},
            "timepoint": "interim",
            "course": str(improving_course.uuid),
        },
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["total"] == 4
    bad = client.post(
        url(patient, "responses"),
        {"instrument": "nprs", "answers": {"pain": 14}, "timepoint": "interim"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "outside" in str(bad.json())
    listed = client.get(url(patient, "responses")).json()
    assert listed["count"] == 7  # 3 NPRS + 3 PSFS from the fixture, and this one


def test_api_access_matrix(client, bob, carol, improving_course):
    patient = improving_course.patient
    assert client.get(url(patient, "responses")).status_code == 401
    client.force_login(bob)
    assert client.get(url(patient, "scores")).status_code == 403
    client.force_login(carol)
    assert client.get(url(patient, "scores")).status_code == 404
