"""Candidacy screening for the public "Am I a candidate?" form."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsclinic.knowledge import (
    InvalidAnswersError,
    PolicyError,
    answers_json_schema,
    clear_answers,
    load_knowledge,
    screen,
    screening_questions,
    validate_answers,
    validate_policy,
)

CHRONIC = clear_answers({"pain_duration_months": 6})
ABSOLUTE_TRIGGERS = {
    "needle_phobia": {"needle_phobia": True},
    "unwilling": {"unwilling": True},
    "unable_to_consent": {"able_to_consent": False},
    "medical_emergency": {"medical_emergency": True},
    "lymphoedema": {"lymphoedema_at_pain_site": True},
    "local_infection": {"infection_at_pain_site": True},
}
CLEARANCE_TRIGGERS = {
    "anticoagulants": {"anticoagulants": True},
    "bleeding_disorder": {"bleeding_disorder": True},
    "pregnancy": {"pregnant": True},
    "immunocompromise": {"immunocompromised": True},
    "hiv_hepatitis": {"hiv_or_hepatitis": True},
    "recent_surgery": {"weeks_since_surgery": 4},
}


def test_chronic_pain_without_contraindication_is_likely_candidate():
    result = screen(CHRONIC)
    assert result.outcome == "likely_candidate"
    assert result.reasons == ()


@pytest.mark.parametrize(("code", "answers"), ABSOLUTE_TRIGGERS.items())
def test_every_absolute_contraindication_is_not_suitable(code, answers):
    result = screen({**CHRONIC, **answers})
    assert result.outcome == "not_suitable"
    reason = result.reasons[0]
    assert reason.code == code
    assert reason.message and reason.advice
    assert reason.kind == "absolute"


@pytest.mark.parametrize(("code", "answers"), CLEARANCE_TRIGGERS.items())
def test_precautions_need_clearance_and_say_what_to_bring(code, answers):
    result = screen({**CHRONIC, **answers})
    assert result.outcome == "needs_clearance"
    assert result.reasons[0].code == code
    assert result.reasons[0].consequence == "require_clearance"
    assert result.reasons[0].advice


def test_pregnancy_advice_mentions_the_obstetrician():
    result = screen({**CHRONIC, "pregnant": True})
    assert "obstetrician" in result.reasons[0].advice


def test_surgery_outside_the_window_is_fine_and_window_is_configurable():
    assert screen({**CHRONIC, "weeks_since_surgery": 20}).outcome == "likely_candidate"
    stricter = screen({**CHRONIC, "weeks_since_surgery": 20}, {"recent_surgery_weeks": 26})
    assert stricter.outcome == "needs_clearance"


def test_warn_only_precautions_are_noted_without_changing_the_outcome():
    result = screen({**CHRONIC, "diabetes": True, "fainting_history": True})
    assert result.outcome == "likely_candidate"
    assert {r.code for r in result.reasons} == {"diabetes", "vasovagal"}


def test_short_pain_needs_assessment_not_a_course():
    result = screen({**CHRONIC, "pain_duration_months": 1})
    assert result.outcome == "needs_clearance"
    assert result.reasons[0].code == "pain_under_typical_duration"
    assert "3 months" in result.reasons[0].message


def test_unknown_pain_duration_is_noted_only():
    result = screen({**CHRONIC, "pain_duration_months": None})
    assert result.outcome == "likely_candidate"
    assert [r.code for r in result.reasons] == ["pain_duration_unknown"]


def test_red_flags_refer_to_a_doctor_and_cauda_equina_is_urgent():
    assert screen({**CHRONIC, "unexplained_weight_loss": True}).outcome == "needs_clearance"
    urgent = screen({**CHRONIC, "bladder_bowel_change": True})
    assert urgent.outcome == "not_suitable"
    assert "emergency" in urgent.reasons[0].advice


def test_minor_needs_guardian():
    assert screen({**CHRONIC, "age_years": 15}).outcome == "needs_clearance"
    assert screen({**CHRONIC, "age_years": 40}).outcome == "likely_candidate"


def test_policy_can_make_a_precaution_stricter():
    result = screen({**CHRONIC, "pregnant": True}, {"pregnancy": "not_suitable"})
    assert result.outcome == "not_suitable"


def test_policy_can_relax_nothing_neither_a_precaution_nor_an_absolute_one():
    with pytest.raises(PolicyError) as caught:
        screen({**CHRONIC, "anticoagulants": True}, {"anticoagulants": "likely_candidate"})
    assert "never laxer" in caught.value.errors["anticoagulants"]
    with pytest.raises(PolicyError) as caught:
        screen({**CHRONIC, "needle_phobia": True}, {"needle_phobia": "likely_candidate"})
    assert "needle_phobia" in caught.value.errors


def test_validate_policy_reports_bad_keys_and_values():
    errors = validate_policy({"pregnancy": "maybe", "recent_surgery_weeks": -1, "colour": "red"})
    assert set(errors) == {"pregnancy", "recent_surgery_weeks", "colour"}
    assert validate_policy({"pregnancy": "not_suitable", "recent_surgery_weeks": 26}) == {}
    # A shorter surgery window would let people through sooner: laxer, so refused.
    assert "at least 12" in validate_policy({"recent_surgery_weeks": 6})["recent_surgery_weeks"]


def test_validate_answers_reports_field_errors_and_never_fills_defaults():
    clean, errors = validate_answers(
        {
            **CHRONIC,
            "pain_duration_months": -2,
            "pregnant": "yes",
            "anticoagulant": True,
            "fever": True,
        }
    )
    assert errors == {
        "pain_duration_months": "must be at least 0",
        "pregnant": "must be true or false",
        "anticoagulant": "unknown field",
    }
    assert clean["fever"] is True
    partial_clean, partial_errors = validate_answers({"fever": True})
    assert partial_clean == {"fever": True}
    assert partial_errors["needle_phobia"] == "must be answered"


def test_validate_answers_rejects_non_objects():
    assert validate_answers([1, 2])[1] == {
        "__all__": "answers must be a JSON object of field: value"
    }


def test_screen_raises_with_field_errors():
    with pytest.raises(InvalidAnswersError) as caught:
        screen({**CHRONIC, "weeks_since_surgery": "soon"})
    assert caught.value.errors == {"weeks_since_surgery": "must be a number"}


def test_questions_spec_drives_forms_and_json_schema():
    questions = screening_questions()
    fields = [q["field"] for q in questions]
    assert fields[0] == "pain_duration_months"
    assert len(fields) == len(set(fields))
    for required in (
        "weeks_since_surgery",
        "pregnant",
        "anticoagulants",
        "bleeding_disorder",
        "needle_phobia",
        "able_to_consent",
        "lymphoedema_at_pain_site",
        "infection_at_pain_site",
        "immunocompromised",
        "hiv_or_hepatitis",
        "unwilling",
        "medical_emergency",
    ):
        assert required in fields
    assert all(q["question"] for q in questions)
    schema = answers_json_schema()
    assert schema["properties"]["pregnant"]["type"] == "boolean"
    assert schema["properties"]["weeks_since_surgery"]["type"] == ["number", "null"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(fields)
    json.dumps(schema)  # serialisable


# ---------------- property tests ----------------

KB = load_knowledge()
SPECS = KB.screening_answer_specs()


def _value_for(spec):
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "choices":
        return st.lists(st.sampled_from(sorted(spec.choices)), unique=True)
    numbers = st.floats(min_value=0, max_value=spec.maximum or 1000, allow_nan=False)
    return st.none() | numbers if spec.type == "number_or_null" else numbers


any_valid_answers = st.fixed_dictionaries({s.field: _value_for(s) for s in SPECS})


@settings(max_examples=300, deadline=None)
@given(answers=any_valid_answers, absolute=st.sampled_from(list(ABSOLUTE_TRIGGERS.values())))
def test_an_absolute_contraindication_is_never_likely_candidate(answers, absolute):
    result = screen({**answers, **absolute})
    assert result.outcome == "not_suitable"


@settings(max_examples=200, deadline=None)
@given(
    answers=any_valid_answers,
    policy=st.fixed_dictionaries(
        {},
        optional={
            "pregnancy": st.sampled_from(["needs_clearance", "not_suitable"]),
            "anticoagulants": st.sampled_from(["needs_clearance", "not_suitable"]),
            "diabetes": st.sampled_from(["likely_candidate", "needs_clearance", "not_suitable"]),
            "fever": st.sampled_from(["needs_clearance", "not_suitable"]),
        },
    ),
    absolute=st.sampled_from(list(ABSOLUTE_TRIGGERS.values())),
)
def test_no_valid_policy_makes_an_absolute_case_likely(answers, policy, absolute):
    assert screen({**answers, **absolute}, policy).outcome == "not_suitable"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    raw=json_values
    | st.dictionaries(st.sampled_from([s.field for s in SPECS]) | st.text(max_size=8), json_values)
)
def test_validate_answers_never_raises(raw):
    clean, errors = validate_answers(raw)
    assert set(clean) <= {s.field for s in SPECS}
    assert isinstance(errors, dict)
    if not errors:
        screen(raw)  # valid answers always screen without error
