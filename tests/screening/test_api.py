"""POST /api/v1/screening: the engine's decision for classic cases, with no login."""

import json

import pytest

from imsclinic.knowledge import clear_answers, load_knowledge, screening_questions

pytestmark = pytest.mark.django_db
URL = "/api/v1/screening"
CHRONIC = clear_answers({"pain_duration_months": 8})
FIELDS = [q["field"] for q in screening_questions()]


def post(client, body, **params):
    url = URL + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_url_is_exactly_api_v1_screening_and_needs_no_login(client):
    response = post(client, CHRONIC)
    assert response.status_code == 200
    assert response.json() == {"outcome": "likely_candidate", "reasons": []}


def _absolute_fields():
    kb = load_knowledge()
    return [
        (item.id, item.answer.field, not item.answer.default)
        for item in kb.contraindications.values()
        if item.kind == "absolute" and item.answer is not None
    ]


@pytest.mark.parametrize(("item_id", "field", "value"), _absolute_fields())
def test_every_absolute_contraindication_is_not_suitable(client, item_id, field, value):
    body = {**CHRONIC, field: value}
    result = post(client, body).json()
    assert result["outcome"] == "not_suitable", item_id
    assert item_id in [r["code"] for r in result["reasons"]]


@pytest.mark.parametrize("field", ["anticoagulants", "bleeding_disorder"])
def test_blood_thinners_or_bleeding_disorder_need_clearance(client, field):
    result = post(client, {**CHRONIC, field: True}).json()
    assert result["outcome"] == "needs_clearance"
    assert result["reasons"][0]["advice"]


def test_clinic_policy_can_make_pregnancy_not_suitable(client, clinic_a):
    clinic_a.policies = {"screening": {"pregnancy": "not_suitable"}}
    clinic_a.save()
    body = {**CHRONIC, "pregnant": True}
    assert post(client, body).json()["outcome"] == "needs_clearance"
    assert post(client, body, clinic=clinic_a.slug).json()["outcome"] == "not_suitable"


def test_clinic_policy_cannot_relax_an_absolute_contraindication(client, clinic_a):
    clinic_a.policies = {"screening": {"needle_phobia": "likely_candidate"}}
    clinic_a.save()
    result = post(client, {**CHRONIC, "needle_phobia": True}, clinic=clinic_a.slug).json()
    assert result["outcome"] == "not_suitable"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pain_duration_months": "a while"}, "pain_duration_months"),
        ({"pain_duration_months": -2}, "pain_duration_months"),
        ({"pregnant": "yes"}, "pregnant"),
        ({"anticoagulant": True}, "anticoagulant"),
        ({"weeks_since_surgery": "2"}, "weeks_since_surgery"),
    ],
)
def test_malformed_answers_get_422_with_field_errors(client, body, field):
    response = post(client, body)
    assert response.status_code == 422
    payload = response.json()
    assert field in payload["errors"]
    assert ["body", field] in [d["loc"] for d in payload["detail"]]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "null"])
def test_non_object_body_is_422_not_500(client, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 422


def test_unknown_clinic_is_404(client):
    assert post(client, CHRONIC, clinic="nowhere").status_code == 404


def test_schema_documents_the_answers(client):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/screening"]["post"]["requestBody"]
    assert "pain_duration_months" in body["content"]["application/json"]["schema"]["properties"]


@pytest.mark.parametrize("field", FIELDS)
def test_a_missing_safety_answer_is_422_never_likely_candidate(client, field):
    body = {k: v for k, v in CHRONIC.items() if k != field}
    response = post(client, body)
    assert response.status_code == 422
    assert response.json()["errors"] == {field: "must be answered"}


def test_an_empty_answer_object_is_422_listing_every_question(client):
    response = post(client, {})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(FIELDS)


@pytest.mark.parametrize(
    ("key", "answers"),
    [
        ("anticoagulants", {"anticoagulants": True}),
        ("bleeding_disorder", {"bleeding_disorder": True}),
        ("fever", {"fever": True}),
        ("myelopathy", {"myelopathy_signs": True}),
    ],
)
def test_a_clinic_policy_cannot_make_a_precaution_or_red_flag_likely(
    client, clinic_a, key, answers
):
    clinic_a.policies = {"screening": {key: "likely_candidate"}}
    clinic_a.save()
    result = post(client, {**CHRONIC, **answers}, clinic=clinic_a.slug).json()
    assert result["outcome"] == "needs_clearance"


def test_a_clinic_policy_cannot_shorten_the_surgery_window(client, clinic_a):
    clinic_a.policies = {"screening": {"recent_surgery_weeks": 4}}
    clinic_a.save()
    result = post(client, {**CHRONIC, "weeks_since_surgery": 8}, clinic=clinic_a.slug).json()
    assert result["outcome"] == "needs_clearance"


def test_lymphoedema_in_another_limb_is_recorded_and_allowed(client):
    result = post(client, {**CHRONIC, "lymphoedema_limbs": ["arm_right"]}).json()
    assert result["outcome"] == "likely_candidate"
    (reason,) = result["reasons"]
    assert reason["code"] == "lymphoedema_elsewhere"
    assert "right arm" in reason["message"]


def test_unknown_limb_is_422(client):
    response = post(client, {**CHRONIC, "lymphoedema_limbs": ["tail"]})
    assert response.status_code == 422
    assert "lymphoedema_limbs" in response.json()["errors"]
