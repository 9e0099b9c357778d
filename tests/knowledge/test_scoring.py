"""Questionnaire scoring and MCID checks."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsclinic.knowledge import (
    change_category,
    is_meaningful_change,
    load_knowledge,
    score_instrument,
)

LEFS_ALL_3 = {f"q{i}": 3 for i in range(1, 21)}
SPADI = {**{f"p{i}": 5 for i in range(1, 6)}, **{f"d{i}": 2 for i in range(1, 9)}}


def test_nprs_is_the_single_item_with_a_band():
    score = score_instrument("nprs", {"pain": 7})
    assert score.total == 7
    assert score.interpretation == "severe"
    assert score.normalised == 70


def test_lefs_sums_20_items():
    score = score_instrument("lefs", LEFS_ALL_3)
    assert score.total == 60
    assert score.normalised == 75
    assert score.answered == 20


def test_lefs_requires_every_item():
    responses = dict(LEFS_ALL_3)
    del responses["q7"]
    with pytest.raises(ValueError, match="unanswered items q7"):
        score_instrument("lefs", responses)


def test_spadi_percent_total_and_subscales():
    score = score_instrument("spadi", SPADI)
    assert score.subscales == {"pain": 50.0, "disability": 20.0}
    assert score.total == pytest.approx(41 / 130 * 100, abs=0.01)


def test_spadi_adjusts_the_denominator_for_a_missing_item():
    responses = dict(SPADI)
    responses["d8"] = None
    score = score_instrument("spadi", responses)
    assert score.total == pytest.approx(39 / 120 * 100, abs=0.01)
    assert score.answered == 12


def test_psfs_is_the_mean_of_three_to_five_activities():
    assert score_instrument("psfs", {"activity_1": 4, "activity_2": 6, "activity_3": 8}).total == 6
    with pytest.raises(ValueError, match="2 items answered, at least 3 needed"):
        score_instrument("psfs", {"activity_1": 4, "activity_2": 6})


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({"pain": 11}, "item pain: 11 is outside 0..10"),
        ({"pain": -1}, "item pain: -1 is outside 0..10"),
        ({"pain": "7"}, "item pain: '7' is not a number"),
        ({"pain": True}, "item pain: True is not a number"),
        ({"ache": 3}, "unknown item 'ache'"),
    ],
)
def test_invalid_responses_name_the_item(responses, message):
    with pytest.raises(ValueError, match=message):
        score_instrument("nprs", responses)


def test_unknown_instrument():
    with pytest.raises(ValueError, match="unknown instrument 'odi'"):
        score_instrument("odi", {})


def test_meaningful_change_respects_direction():
    # NPRS: lower is better, MCID 2.
    assert is_meaningful_change("nprs", 7, 5)
    assert not is_meaningful_change("nprs", 7, 6)
    assert not is_meaningful_change("nprs", 5, 7)
    # LEFS: higher is better, MCID 9.
    assert is_meaningful_change("lefs", 40, 49)
    assert not is_meaningful_change("lefs", 49, 40)


def test_meaningful_change_accepts_scores():
    baseline = score_instrument("lefs", {f"q{i}": 2 for i in range(1, 21)})
    current = score_instrument("lefs", LEFS_ALL_3)
    assert is_meaningful_change("lefs", baseline, current)
    assert change_category("lefs", current, baseline) == "worsened"
    assert change_category("nprs", 5, 4) == "no_important_change"


def test_transition_questions_have_no_mcid():
    assert score_instrument("pgic", {"change": 2}).interpretation == "important improvement"
    assert score_instrument("groc", {"change": -5}).interpretation == "important worsening"
    with pytest.raises(ValueError, match="no MCID"):
        is_meaningful_change("pgic", 4, 2)


KB = load_knowledge()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), instrument_id=st.sampled_from(sorted(KB.instruments)))
def test_any_in_range_answers_score_within_the_instrument_range(data, instrument_id):
    instrument = KB.instruments[instrument_id]
    responses = {
        item.id: data.draw(st.integers(min_value=int(item.min), max_value=int(item.max)))
        for item in instrument.items
    }
    score = score_instrument(instrument_id, responses)
    low, high = instrument.range
    assert low - 1e-9 <= score.total <= high + 1e-9
    assert 0 <= score.normalised <= 100
    assert (score.interpretation is None) == (not instrument.scoring.bands)


@settings(max_examples=100, deadline=None)
@given(baseline=st.integers(0, 10), current=st.integers(0, 10))
def test_improvement_and_worsening_are_mirror_images(baseline, current):
    # NPRS: lower is better, so a drop of at least the MCID (2) is the only improvement.
    assert is_meaningful_change("nprs", baseline, current) == (baseline - current >= 2)
    assert not (
        is_meaningful_change("nprs", baseline, current)
        and is_meaningful_change("nprs", current, baseline)
    )
