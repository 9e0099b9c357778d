"""Screening safety: a missing answer is an error, a policy is only ever stricter, red flags.

The engine and `imsclinic screen` are tested here; the API and the public form in
tests/screening.
"""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsclinic.knowledge import (
    InvalidAnswersError,
    PolicyError,
    clear_answers,
    load_knowledge,
    located_precautions,
    run_screen_cli,
    screen,
    screening_questions,
    suggest_plan,
    triggered_reasons,
    validate_policy,
)
from imsclinic.knowledge.models import OUTCOME_ORDER

KB = load_knowledge()
FIELDS = [q["field"] for q in screening_questions()]
CLEAR = clear_answers({"pain_duration_months": 6})
OUTCOMES = list(OUTCOME_ORDER)


def _cli(tmp_path, answers, policy=None):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    argv = [str(path)]
    if policy is not None:
        policy_path = tmp_path / "policy.json"
        policy_path.write_text(json.dumps(policy))
        argv += ["--policy", str(policy_path)]
    out, err = io.StringIO(), io.StringIO()
    return run_screen_cli(argv, out, err), out.getvalue(), err.getvalue()


# ---------------- missing answers ----------------


@pytest.mark.parametrize("field", FIELDS)
def test_the_engine_refuses_answers_missing_any_one_question(field):
    answers = {k: v for k, v in CLEAR.items() if k != field}
    with pytest.raises(InvalidAnswersError) as caught:
        screen(answers)
    assert caught.value.errors == {field: "must be answered"}


def test_the_engine_refuses_empty_answers_instead_of_saying_likely_candidate():
    with pytest.raises(InvalidAnswersError) as caught:
        screen({})
    assert set(caught.value.errors) == set(FIELDS)


@settings(max_examples=100, deadline=None)
@given(dropped=st.sets(st.sampled_from(FIELDS), min_size=1))
def test_any_missing_subset_is_an_error_never_an_outcome(dropped):
    answers = {k: v for k, v in CLEAR.items() if k not in dropped}
    with pytest.raises(InvalidAnswersError) as caught:
        screen(answers)
    assert set(caught.value.errors) == dropped


def test_the_screen_command_exits_1_listing_missing_answers(tmp_path):
    answers = {k: v for k, v in CLEAR.items() if k not in ("anticoagulants", "fever")}
    code, out, err = _cli(tmp_path, answers)
    assert code == 1 and out == ""
    assert json.loads(err)["errors"] == {
        "anticoagulants": "must be answered",
        "fever": "must be answered",
    }


def test_the_screen_command_refuses_an_empty_object(tmp_path):
    code, out, err = _cli(tmp_path, {})
    assert code == 1 and out == ""
    assert "likely_candidate" not in err


def test_stored_answers_missing_a_newer_question_still_report_what_was_answered():
    """A chart's answers from before a question was added keep their precautions."""
    stored = {"anticoagulants": True, "pain_duration_months": 8}
    codes = [reason.code for reason in triggered_reasons(stored)]
    assert codes == ["anticoagulants"]
    with pytest.raises(InvalidAnswersError):
        triggered_reasons({"anticoagulants": "yes"})


# ---------------- policy: stricter only ----------------

OUTCOME_KEYS = sorted(
    [c.id for c in KB.contraindications.values() if c.screening_outcome]
    + [f.id for f in KB.screening.red_flags]
)


def _default(key):
    if key in KB.contraindications:
        return KB.contraindications[key].screening_outcome
    return KB.red_flag(key).outcome


@pytest.mark.parametrize("key", OUTCOME_KEYS)
def test_a_policy_may_not_make_any_item_laxer(key):
    default = _default(key)
    for outcome in OUTCOMES:
        errors = validate_policy({key: outcome})
        if OUTCOME_ORDER[outcome] < OUTCOME_ORDER[default]:
            assert "never laxer" in errors[key]
        else:
            assert errors == {}


any_answers = st.fixed_dictionaries(
    {
        spec.field: (
            st.booleans()
            if spec.type == "boolean"
            else st.lists(st.sampled_from(sorted(spec.choices)), unique=True)
            if spec.type == "choices"
            else st.none() | st.floats(min_value=0, max_value=spec.maximum or 200)
        )
        for spec in KB.screening_answer_specs()
    }
)
any_policy = st.dictionaries(st.sampled_from(OUTCOME_KEYS), st.sampled_from(OUTCOMES))


@settings(max_examples=300, deadline=None)
@given(answers=any_answers, policy=any_policy)
def test_a_valid_policy_never_gives_a_laxer_outcome_and_a_laxer_one_is_refused(answers, policy):
    default = screen(answers)
    if validate_policy(policy):
        with pytest.raises(PolicyError):
            screen(answers, policy)
        return
    with_policy = screen(answers, policy)
    assert OUTCOME_ORDER[with_policy.outcome] >= OUTCOME_ORDER[default.outcome]


RED_FLAG_OR_BLEEDING = [
    pytest.param({flag.answer.field: True}, flag.id, id=flag.id) for flag in KB.screening.red_flags
] + [pytest.param({"bleeding_disorder": True}, "bleeding_disorder", id="bleeding_disorder")]


@pytest.mark.parametrize(("answers", "key"), RED_FLAG_OR_BLEEDING)
def test_red_flags_and_bleeding_disorders_can_never_become_likely_candidate(answers, key):
    with pytest.raises(PolicyError):
        screen({**CLEAR, **answers}, {key: "likely_candidate"})
    assert screen({**CLEAR, **answers}).outcome != "likely_candidate"


# ---------------- new red flags ----------------


def test_cervical_arterial_dysfunction_is_urgent_and_not_suitable():
    """IFOMPT cervical framework (Rushton 2023): refer urgently, no neck treatment."""
    result = screen({**CLEAR, "cervical_arterial_symptoms": True})
    assert result.outcome == "not_suitable"
    (reason,) = result.reasons
    assert reason.code == "cervical_arterial_dysfunction"
    assert "emergency" in reason.advice
    assert "rushton_2023_ifompt_cervical" in KB.red_flag("cervical_arterial_dysfunction").sources


def test_myelopathy_signs_need_a_doctor_first():
    """Cook 2010: clumsy hands, gait disturbance, bilateral symptoms."""
    result = screen({**CLEAR, "myelopathy_signs": True})
    assert result.outcome == "needs_clearance"
    assert result.reasons[0].code == "myelopathy"
    assert "cook_2010_myelopathy" in KB.red_flag("myelopathy").sources


# ---------------- lymphoedema by limb ----------------


def test_lymphoedema_away_from_the_pain_is_recorded_by_limb_and_allowed():
    result = screen({**CLEAR, "lymphoedema_limbs": ["leg_left", "arm_right"]})
    assert result.outcome == "likely_candidate"
    (reason,) = result.reasons
    assert reason.code == "lymphoedema_elsewhere"
    assert "right arm, left leg" in reason.message


def test_a_limb_with_lymphoedema_is_kept_out_of_the_plan():
    """ISCP 2012 / ASAP 2018: never needle a limb with lymphoedema; elsewhere is fine."""
    precautions = located_precautions({"lymphoedema_limbs": ["arm_right"]})
    assert precautions == [{"id": "lymphoedema", "limb": "upper", "side": "R"}]
    plan = suggest_plan([("C5", "R"), ("C5", "L")], precautions, max_per_segment=20)
    kept = {(item.muscle_id, item.side) for item in plan.items}
    assert ("deltoid", "L") in kept and ("deltoid", "R") not in kept
    assert ("deltoid", "R", "lymphoedema") in {(e.muscle_id, e.side, e.code) for e in plan.excluded}


def test_lymphoedema_at_the_pain_site_stays_not_suitable():
    answers = {**CLEAR, "lymphoedema_at_pain_site": True, "lymphoedema_limbs": ["arm_left"]}
    assert screen(answers).outcome == "not_suitable"


@pytest.mark.parametrize("value", [["wing"], ["arm_left", "arm_left"], "arm_left", [1]])
def test_limbs_must_be_a_list_of_known_limbs(value):
    with pytest.raises(InvalidAnswersError) as caught:
        screen({**CLEAR, "lymphoedema_limbs": value})
    assert "lymphoedema_limbs" in caught.value.errors
