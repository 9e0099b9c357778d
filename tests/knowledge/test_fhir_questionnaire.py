"""Clinic-supplied instruments from FHIR Questionnaire JSON (placeholder text, not licensed)."""

import copy
import json
from pathlib import Path

import pytest

from imsclinic.knowledge import (
    instrument_from_fhir_questionnaire,
    is_meaningful_change,
    score_instrument,
)

FIXTURE = Path(__file__).parent / "fixtures" / "placeholder_disability_questionnaire.json"


@pytest.fixture
def questionnaire():
    return json.loads(FIXTURE.read_text())


def test_builds_an_instrument_with_odi_scoring(kb, questionnaire):
    instrument = instrument_from_fhir_questionnaire(questionnaire, kb.clinic_scoring["odi"])
    assert instrument.id == "odi"
    assert instrument.licence == "clinic_supplied"
    assert [item.id for item in instrument.items] == [f"section{n}" for n in range(1, 11)]
    assert all((item.min, item.max) == (0, 5) for item in instrument.items)
    assert instrument.higher_is_better is False and instrument.mcid == 10


def test_imported_instrument_scores_like_the_odi(kb, questionnaire):
    instrument = instrument_from_fhir_questionnaire(questionnaire, kb.clinic_scoring["odi"])
    responses = {f"section{n}": 2 for n in range(1, 11)}
    score = score_instrument(instrument, responses)
    assert score.total == 40  # 20 / 50 x 100
    assert score.interpretation == "moderate disability"
    # One section unanswered: the denominator shrinks (ODI rule).
    responses["section10"] = None
    assert score_instrument(instrument, responses).total == pytest.approx(18 / 45 * 100, abs=0.01)
    assert is_meaningful_change(instrument, 40, 28)


def test_ndi_rule_prorates_missing_items(kb, questionnaire):
    instrument = instrument_from_fhir_questionnaire(questionnaire, kb.clinic_scoring["ndi"])
    responses = {f"section{n}": 1 for n in range(1, 10)}  # 9 of 10 answered
    assert score_instrument(instrument, responses).total == 10


def test_dict_scoring_spec_and_integer_items():
    questionnaire = {
        "resourceType": "Questionnaire",
        "name": "ClinicPainDiary",
        "item": [
            {
                "linkId": f"day{n}",
                "type": "integer",
                "text": f"Day {n} pain",
                "extension": [
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
                ],
            }
            for n in range(1, 4)
        ],
    }
    instrument = instrument_from_fhir_questionnaire(
        questionnaire, {"method": "mean", "range": [0, 10], "higher_is_better": False}
    )
    assert instrument.id == "clinicpaindiary"
    assert score_instrument(instrument, {"day1": 2, "day2": 4, "day3": 6}).total == 4


def test_rejects_non_questionnaires_and_bad_items(kb, questionnaire):
    with pytest.raises(ValueError, match="resourceType 'Questionnaire'"):
        instrument_from_fhir_questionnaire({"resourceType": "Patient"}, kb.clinic_scoring["odi"])
    free_text = copy.deepcopy(questionnaire)
    free_text["item"][1]["item"][0]["type"] = "string"
    with pytest.raises(ValueError, match="'section1': type 'string' cannot be scored"):
        instrument_from_fhir_questionnaire(free_text, kb.clinic_scoring["odi"])
    short = copy.deepcopy(questionnaire)
    del short["item"][1]["item"][9]
    with pytest.raises(ValueError, match="expected 10 scored items, found 9"):
        instrument_from_fhir_questionnaire(short, kb.clinic_scoring["odi"])
    with pytest.raises(ValueError, match="missing 'method'"):
        instrument_from_fhir_questionnaire(questionnaire, {"range": [0, 100]})


def test_fixture_does_not_contain_licensed_wording():
    text = FIXTURE.read_text().lower()
    assert "placeholder" in text
    for licensed_phrase in ("pain intensity", "personal care", "lifting", "sex life"):
        assert licensed_phrase not in text
