"""The body chart and the one-tap level grid as the server renders them, and accepting the
engine's suggestion in one click (the browser side is tests/e2e/test_clinical_bodychart.py)."""

import re

import pytest
from django.urls import reverse

from imsclinic.clinical import actions, bodychart, engine
from imsclinic.knowledge import load_knowledge
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(patient_a, alice):
    return AssessmentFactory(patient=patient_a, practitioner=alice)


def test_every_knowledge_region_is_on_the_chart_with_a_side_first_name():
    chart = {region.id: region for region in bodychart.regions()}
    assert set(chart) == set(load_knowledge().body_regions)
    assert chart["arm_front_l"].label == "Left upper arm (front)"
    assert chart["low_back_r"].label == "Right low back"
    # Large enough to tap: no region smaller than 12 x 20 units of the 200 x 440 figure.
    assert min(r.w for r in chart.values()) >= 12 and min(r.h for r in chart.values()) >= 20
    # The two sides mirror each other about the midline; on the back view the patient's right
    # is on the viewer's right.
    left, right = chart["thigh_back_l"], chart["thigh_back_r"]
    assert right.x > bodychart.CENTRE > left.x
    assert right.x - bodychart.CENTRE == bodychart.CENTRE - (left.x + left.w)


def test_assessment_page_offers_the_chart_tools_and_keeps_the_sign_lists_as_fallback(
    client, assessment, alice
):
    client.force_login(alice)
    page = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    # The tools are hidden until the script shows them; the multi-selects are in the form.
    assert re.search(r'class="chart-tools" data-chart-tools hidden', page)
    assert 'name="sign-vasomotor" data-sign="vasomotor"' in page
    assert 'role="button" aria-pressed="false" aria-label="Right buttock"' in page
    # Level-grid signs are not body-chart signs.
    assert 'value="spinous_process_tenderness"' not in page
    # No inline script or style: the CSP forbids them.
    assert "<script>" not in page and " style=" not in page


def test_one_tap_grid_shows_the_recorded_state_of_each_level_and_side(client, assessment, alice):
    actions.set_level_findings(
        assessment=assessment,
        by=alice,
        findings=[
            {"structure": "paraspinal", "level": "L5", "side": "R", "state": "tender"},
            {"structure": "paraspinal", "level": "L4", "side": "L", "state": "taut"},
            {"structure": "paraspinal", "level": "L4", "side": "L", "state": "tender"},
            {"structure": "spinous", "level": "S1", "side": "M", "state": "taut"},
        ],
    )
    client.force_login(alice)
    page = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    assert 'data-level-cell="paraspinal|L5|R"' in page
    assert 'aria-label="L5 paraspinal right: Tender">Tender<' in page
    assert 'aria-label="L4 paraspinal left: Both">Both<' in page
    assert 'aria-label="S1 spinous process midline: Taut">Taut<' in page
    assert 'aria-label="C1 paraspinal left: None">None<' in page


def _suggest_l5_right(assessment, alice):
    for muscle in ("gluteus_medius", "tibialis_anterior", "extensor_hallucis_longus"):
        actions.add_finding(
            assessment=assessment, by=alice, muscle_id=muscle, side="R", grade="tender"
        )
    assessment.refresh_from_db()
    return assessment.suggested_segments["suggested"]


def test_accept_saves_the_engines_suggestion_whatever_the_text_box_holds(client, assessment, alice):
    suggested = _suggest_l5_right(assessment, alice)
    assert "L5-R" in suggested
    client.force_login(alice)
    url = reverse("clinical:assessment", args=[assessment.uuid])
    response = client.post(
        url,
        {
            "accept": "suggestion",
            "accepted_segments": "C5-L",
            "bc-low_back_r-type": "aching",
            "bc-low_back_r-intensity": "6",
            "sign-vasomotor": ["calf_r"],
        },
        follow=True,
    )
    assessment.refresh_from_db()
    assert assessment.accepted_segments == suggested
    assert assessment.body_chart[0]["region"] == "low_back_r"
    assert {"sign": "vasomotor", "region": "calf_r"} in assessment.gunn_signs
    page = response.content.decode()
    assert "Assessment saved with the suggested segments" in page
    assert "Review the proposed course plan" in page
    # The course tab proposes the plan from the accepted segments, muscles in the engine order.
    course = client.get(reverse("clinical:course", args=[assessment.patient.uuid]))
    proposed = course.context["form"].initial
    assert proposed["target_segments"] == ", ".join(suggested)
    plan = engine.plan_for(suggested, [], cleared=set())
    expected = [f"{item['name']}, {item['side']}" for item in plan["items"] if item["side"]]
    assert proposed["target_muscles"].splitlines() == expected[:10]
    # Evidence and safety order: the paraspinal row of the segment first.
    assert len(expected) >= 2 and "multifidus" in expected[0].lower(), expected


def test_accept_without_a_suggestion_saves_nothing(client, assessment, alice):
    client.force_login(alice)
    url = reverse("clinical:assessment", args=[assessment.uuid])
    response = client.post(
        url,
        {"accept": "suggestion", "pain_pattern": "Changed", "accepted_segments": ""},
        follow=True,
    )
    assert "There is no suggestion to accept yet. Nothing was saved." in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.pain_pattern != "Changed" and not assessment.accepted_segments
