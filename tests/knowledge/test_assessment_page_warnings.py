"""The assessment page says, in words, when the segment engine cannot decide."""

import random

import pytest
from django.urls import reverse

from imsclinic.clinical import actions
from imsclinic.knowledge import load_knowledge
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _assessment_with(alice, patient, findings):
    assessment = actions.start_assessment(patient=patient, by=alice)
    for muscle_id, side in findings:
        actions.add_finding(
            assessment=assessment, by=alice, muscle_id=muscle_id, side=side, grade="tender"
        )
    assessment.refresh_from_db()
    return assessment


def test_a_tie_is_shown_as_both_levels(client, alice, patient_a):
    assessment = _assessment_with(alice, patient_a, [("first_dorsal_interosseous", "R")])
    assert assessment.suggested_segments["suggested"] == ["C8-R", "T1-R"]
    login(client, alice)
    body = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    assert "C8 and T1 score the same (right)" in body
    assert "do not point to one spinal level" not in body


def test_findings_that_point_nowhere_say_so_and_suggest_no_level(client, alice, patient_a):
    rng = random.Random(4)
    muscles = sorted(load_knowledge().muscles)
    findings = {(rng.choice(muscles), "R") for _ in range(60)}
    assessment = _assessment_with(alice, patient_a, sorted(findings))
    suggestion = assessment.suggested_segments
    assert "does_not_localise" in [w["code"] for w in suggestion["warnings"]]
    assert suggestion["suggested"] == []
    assert suggestion["plan"] is None
    login(client, alice)
    body = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    assert "do not point to one spinal level" in body
    assert "does_not_localise" not in body.replace('data-warning="does_not_localise"', "")


def test_lymphoedema_ticked_on_the_screening_keeps_that_arm_out_of_the_plan(alice, patient_a):
    from imsclinic.knowledge import clear_answers

    assessment = actions.start_assessment(patient=patient_a, by=alice)
    answers = clear_answers({"pain_duration_months": 6, "lymphoedema_limbs": ["arm_right"]})
    actions.update_assessment(
        assessment=assessment, by=alice, fields={"screening_answers": answers}
    )
    for muscle in ("deltoid", "infraspinatus", "teres_minor"):
        actions.add_finding(
            assessment=assessment, by=alice, muscle_id=muscle, side="R", grade="tender"
        )
    assessment.refresh_from_db()
    plan = assessment.suggested_segments["plan"]
    assert "deltoid" not in {item["muscle"] for item in plan["items"]}
    assert ("deltoid", "lymphoedema") in {(e["muscle_id"], e["code"]) for e in plan["excluded"]}
