"""A visitor's self-screening and the evaluation request reach the patient and the first
assessment's screening re-check (pre-ticked, dated, confirmed by the practitioner)."""

import datetime

import pytest
from django.urls import reverse

from imsclinic.clinical import actions
from imsclinic.knowledge import clear_answers
from imsclinic.screening.actions import create_patient_from_request, create_request

pytestmark = pytest.mark.django_db


def full_answers(**overrides):
    return clear_answers({"pain_duration_months": 9, **overrides})


@pytest.fixture
def screened_patient(clinic_a, bob):
    evaluation = create_request(
        clinic=clinic_a,
        contact={"given_name": "Ruth", "family_name": "Ames", "phone": "403 555 0100"},
        screening={
            "answers": full_answers(anticoagulants=True, age_years=99),
            "pain_regions": ["low_back"],
            "treatments_tried": ["physiotherapy", "massage"],
            "treatments_other": "Yoga",
        },
    )
    patient = create_patient_from_request(
        evaluation=evaluation,
        by=bob,
        fields={
            "given_name": "Ruth",
            "family_name": "Ames",
            "date_of_birth": datetime.date(1971, 2, 3),
            "sex": "female",
        },
    )
    return patient, evaluation


def test_first_assessment_starts_from_the_self_screening(screened_patient, alice):
    patient, evaluation = screened_patient
    assessment = actions.start_assessment(patient=patient, by=alice)
    assert assessment.screening_answers["anticoagulants"] is True
    assert assessment.screening_source == {
        "kind": "self_screening",
        "date": evaluation.created_at.astimezone(patient.clinic.tz).date().isoformat(),
        "request": str(evaluation.uuid),
    }
    assert assessment.screening_confirmed is False
    # The age is the date of birth's, not what was typed on the form.
    assert assessment.screening_answers["age_years"] == patient.age_on(assessment.assessed_on)
    assert assessment.duration_months == 9
    assert assessment.treatments_tried == "Physiotherapy; Massage therapy; Yoga"


def test_saving_the_re_check_is_the_practitioners_confirmation(screened_patient, alice):
    patient, _evaluation = screened_patient
    assessment = actions.start_assessment(patient=patient, by=alice)
    answers = dict(assessment.screening_answers, anticoagulants=True, age_years=5)
    changed = actions.update_assessment(
        assessment=assessment, by=alice, fields={"screening_answers": answers}
    )
    assessment.refresh_from_db()
    assert assessment.screening_confirmed and "screening_confirmed" in changed
    assert assessment.screening_answers["age_years"] == patient.age_on(assessment.assessed_on)


def test_only_the_first_assessment_is_prefilled(screened_patient, alice):
    patient, _evaluation = screened_patient
    first = actions.start_assessment(patient=patient, by=alice)
    actions.update_assessment(assessment=first, by=alice, fields={"screening_answers": {}})
    actions.sign_assessment(assessment=first, by=alice)
    second = actions.start_assessment(patient=patient, by=alice)
    assert second.screening_source == {} and second.screening_answers == {}


def test_a_patient_without_a_self_screening_starts_empty(patient_a, alice):
    assessment = actions.start_assessment(patient=patient_a, by=alice)
    assert assessment.screening_answers == {} and assessment.screening_source == {}


def test_the_blood_thinner_answer_shows_on_the_chart_and_pre_ticked(
    client, screened_patient, alice
):
    patient, evaluation = screened_patient
    client.force_login(alice)
    chart = client.get(reverse("patients:chart", args=[patient.uuid])).content.decode()
    assert "blood thinners" in chart
    start = client.post(reverse("clinical:assessment-start", args=[patient.uuid]))
    page = client.get(start["Location"]).content.decode()
    day = evaluation.created_at.astimezone(patient.clinic.tz).date().isoformat()
    assert f"Pre-ticked from the patient's self-screening on {day}" in page
    assert 'name="sc-anticoagulants" checked' in page
    assert f"Age: {patient.age_on(patient.clinic.today())}" in page
    assert 'name="sc-age_years"' not in page
