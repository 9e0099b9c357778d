"""Bad input: property tests on the patient form, screening and scoring; oversized and malformed
API bodies; SQL in sort parameters."""

import json
import math

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from imsclinic import knowledge
from imsclinic.patients.forms import DEMOGRAPHIC_FIELDS, PatientForm
from imsclinic.patients.models import Patient
from tests.factories import ClinicFactory

FUZZ = hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.django_db
@FUZZ
@given(st.dictionaries(st.sampled_from(DEMOGRAPHIC_FIELDS), st.text(max_size=300), max_size=12))
def test_patient_form_never_crashes_and_only_accepts_sane_data(data):
    form = PatientForm(data=data, clinic=ClinicFactory.build())
    if form.is_valid():
        assert form.cleaned_data["given_name"].strip()
        assert form.cleaned_data["family_name"].strip()
        assert form.cleaned_data["date_of_birth"].year > 1890
    else:
        assert form.errors


@FUZZ
@given(st.dictionaries(st.text(max_size=30), json_values, max_size=8))
def test_screening_validation_never_crashes(answers):
    field_names = [q["field"] for q in knowledge.screening_questions()]
    clean, errors = knowledge.validate_answers(answers)
    assert isinstance(clean, dict) and isinstance(errors, dict)
    assert set(clean) <= set(field_names) | set(answers)
    try:
        result = knowledge.screen(answers)
    except knowledge.InvalidAnswersError:
        assert errors, "screen() refused answers that validate_answers() accepted"
    else:
        assert result is not None


@FUZZ
@given(st.data())
def test_screening_gives_a_decision_for_any_well_formed_answers(data):
    answers = {}
    for q in knowledge.screening_questions():
        if q["type"] == "boolean":
            answers[q["field"]] = data.draw(st.booleans())
        elif q["type"] == "choices":
            answers[q["field"]] = data.draw(st.lists(st.sampled_from(sorted(q["choices"]))))
        elif q["type"].startswith("number"):
            answers[q["field"]] = data.draw(
                st.floats(min_value=q["minimum"] or 0, max_value=q["maximum"] or 100)
            )
    clean, errors = knowledge.validate_answers(answers)
    # Every question is answered here, so only a repeated choice can make the answers invalid.
    assert set(errors) <= {"lymphoedema_limbs"}
    if not errors:
        assert knowledge.screen(answers) is not None


INSTRUMENTS = sorted(knowledge.load_knowledge().instruments)


def _valid_responses(instrument, data):
    """A complete, valid set of answers: every required item, some optional ones, in range."""
    responses = {}
    for item in instrument.items:
        responses[item.id] = data.draw(st.integers(int(math.ceil(item.min)), int(item.max)))
    required = (
        instrument.scoring.min_answered
        if instrument.scoring.min_answered is not None
        else sum(1 for item in instrument.items if not item.optional)
    )
    for item in instrument.items:
        if item.optional and len(responses) > required and data.draw(st.booleans()):
            del responses[item.id]
    return responses


@FUZZ
@given(st.sampled_from(INSTRUMENTS), st.data())
def test_scores_of_valid_responses_stay_in_range(instrument_id, data):
    instrument = knowledge.load_knowledge().instruments[instrument_id]
    responses = _valid_responses(instrument, data)
    score = knowledge.score_instrument(instrument_id, responses)
    low, high = instrument.range
    assert low <= score.total <= high
    assert score.answered == len(responses)


def _one_bad_entry(instrument, data):
    """An answer no instrument accepts: an unknown item, a non-number, or a number out of range."""
    item_ids = {item.id for item in instrument.items}
    item = data.draw(st.sampled_from(instrument.items))
    kind = data.draw(st.sampled_from(["unknown item", "not a number", "out of range"]))
    if kind == "unknown item":
        key = data.draw(st.text(max_size=10).filter(lambda k: k not in item_ids))
        return key, data.draw(json_values)
    if kind == "not a number":
        value = data.draw(
            st.booleans()
            | st.text(max_size=10)
            | st.lists(st.integers(), max_size=2)
            | st.sampled_from([math.nan, math.inf, -math.inf])
        )
        return item.id, value
    above = data.draw(st.booleans())
    if above:
        return item.id, data.draw(
            st.floats(min_value=item.max, exclude_min=True, allow_nan=False, allow_infinity=False)
        )
    return item.id, data.draw(
        st.floats(max_value=item.min, exclude_max=True, allow_nan=False, allow_infinity=False)
    )


@FUZZ
@given(st.sampled_from(INSTRUMENTS), st.data())
def test_garbage_responses_are_refused_with_a_value_error(instrument_id, data):
    """A valid set of answers spoiled by one bad entry is refused, naming the problem."""
    instrument = knowledge.load_knowledge().instruments[instrument_id]
    responses = _valid_responses(instrument, data)
    key, value = _one_bad_entry(instrument, data)
    responses[key] = value
    with pytest.raises(ValueError, match=r"unknown item|not a number|outside"):
        knowledge.score_instrument(instrument_id, responses)


# --- The HTTP edge -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_oversized_api_body_is_refused_with_413_json(client, alice):
    client.force_login(alice)
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/api/v1/patients", body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


@pytest.mark.django_db
def test_oversized_form_post_gets_a_clear_page(client, alice):
    client.force_login(alice)
    body = "given_name=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/patients/new/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", ["{not json", '{"given_name": ', "[1, 2", '"just a string"', "\x00\xff", "null"]
)
def test_malformed_json_to_the_api_is_a_clear_4xx(client, alice, body):
    client.force_login(alice)
    response = client.post("/api/v1/patients", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()  # a JSON explanation, not an HTML error page
    assert not Patient.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["ordering", "sort", "order_by", "o"])
def test_sql_in_a_sort_parameter_is_ignored(client, alice, patient_a, param):
    client.force_login(alice)
    evil = "family_name; DROP TABLE patients_patient; --"
    for path in ("/patients/", "/api/v1/patients"):
        response = client.get(path, {param: evil})
        assert response.status_code in (200, 400, 422), path
    assert Patient.objects.filter(pk=patient_a.pk).exists()
    assert json.dumps(evil) not in client.get("/patients/", {param: evil}).content.decode()
