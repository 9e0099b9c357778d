"""Knowledge ids stored in the database are validated against the knowledge base on save.

`KnowledgeIdField` refuses an unknown muscle or condition in `full_clean()`, the actions refuse
them with a plain message, and the demo and the benchmark only ever write known ids.
"""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command

from imsclinic.clinical import actions
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.models import Assessment, AssessmentFinding, CourseOfCare, NeedlingRow
from imsclinic.knowledge import is_known_id, load_knowledge
from imsclinic.knowledge.fields import KnowledgeIdField
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.web.demo import build_demo

KB = load_knowledge()


def _knowledge_id_fields():
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, KnowledgeIdField)
    ]


def _unknown_ids():
    """Every stored knowledge id that the knowledge base does not know, by model and field."""
    unknown = []
    for model, field in _knowledge_id_fields():
        values = set(model.objects.values_list(field.attname, flat=True).distinct())
        unknown += [
            (model.__name__, field.name, v) for v in values if v and not is_known_id(field.kind, v)
        ]
    instruments = set(KB.instruments) | set(KB.clinic_scoring)
    unknown += [
        ("QuestionnaireResponse", "instrument_id", v)
        for v in QuestionnaireResponse.objects.values_list("instrument_id", flat=True).distinct()
        if v not in instruments
    ]
    return unknown


def test_the_models_that_store_knowledge_ids_use_the_field():
    stored = {(model.__name__, field.name, field.kind) for model, field in _knowledge_id_fields()}
    assert {
        ("Assessment", "condition_id", "condition"),
        ("AssessmentFinding", "muscle_id", "muscle"),
        ("CourseOfCare", "condition_id", "condition"),
        ("NeedlingRow", "muscle_id", "muscle"),
    } <= stored


@pytest.mark.parametrize(
    ("model", "field", "bad", "good"),
    [
        (NeedlingRow, "muscle_id", "multifidus", "lumbar_multifidus_l5"),
        (AssessmentFinding, "muscle_id", "deltoidd", "deltoid"),
        (CourseOfCare, "condition_id", "chronic_low_back_pain", "low_back_pain"),
        (Assessment, "condition_id", "subacromial_pain", "frozen_shoulder"),
    ],
)
def test_full_clean_refuses_an_unknown_id_with_a_plain_message(model, field, bad, good):
    others = [f.name for f in model._meta.fields if f.name != field]
    with pytest.raises(ValidationError) as caught:
        model(**{field: bad}).clean_fields(exclude=others)
    assert caught.value.message_dict[field] == [
        f"{bad} is not a known " + ("muscle." if field == "muscle_id" else "condition.")
    ]
    model(**{field: good}).clean_fields(exclude=others)


@pytest.mark.django_db
def test_actions_refuse_an_unknown_condition_and_save_nothing(alice, patient_a):
    assessment = actions.start_assessment(patient=patient_a, by=alice)
    with pytest.raises(ClinicalError, match="chronic_neck_pain is not a known condition"):
        actions.update_assessment(
            assessment=assessment, by=alice, fields={"condition_id": "chronic_neck_pain"}
        )
    assessment.refresh_from_db()
    assert assessment.condition_id == ""
    with pytest.raises(ClinicalError, match="is not a known condition"):
        actions.create_course(patient=patient_a, by=alice, fields={"condition_id": "knee_pain"})
    with pytest.raises(ClinicalError, match="multifidus is not a known muscle"):
        actions.create_course(
            patient=patient_a,
            by=alice,
            fields={"target_muscles": [{"muscle_id": "multifidus", "side": "R"}]},
        )
    assert not CourseOfCare.objects.filter(patient=patient_a).exists()
    course = actions.create_course(
        patient=patient_a, by=alice, fields={"condition_id": "lumbar_radiculopathy"}
    )
    assert course.condition_id == "lumbar_radiculopathy"


@pytest.mark.django_db
def test_the_demo_clinic_writes_only_known_knowledge_ids():
    build_demo(patients=30, seed=5)
    assert NeedlingRow.objects.exists() and CourseOfCare.objects.exists()
    assert _unknown_ids() == []


@pytest.mark.django_db
def test_the_benchmark_network_writes_only_known_knowledge_ids():
    call_command(
        "demo", clinics=4, patients=150, sessions=900, seed=2, no_progress=True, verbosity=0
    )
    assert NeedlingRow.objects.count() >= 900
    assert QuestionnaireResponse.objects.exists()
    assert _unknown_ids() == []
    # The benchmark's muscles are spread over real knowledge rows, paraspinals included.
    assert NeedlingRow.objects.filter(muscle_id="lumbar_multifidus_l5").exists()


@pytest.mark.django_db
def test_questionnaire_clean_refuses_an_instrument_the_clinic_does_not_have(clinic_a):
    with pytest.raises(ValidationError) as caught:
        QuestionnaireResponse(clinic=clinic_a, instrument_id="odi_v9").clean()
    assert "instrument_id" in caught.value.message_dict
    QuestionnaireResponse(clinic=clinic_a, instrument_id="psfs").clean()
