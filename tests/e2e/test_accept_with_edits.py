""" "Accept with edits": the engine's suggested segments go into the accepted-segments box, the
practitioner changes one, saves, and the Course tab proposes the plan for the edited segments
(not for the engine's original suggestion)."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical import engine
from imsclinic.clinical.models import Assessment
from tests.e2e.conftest import sign_in
from tests.factories import ConsentFactory, PatientFactory

pytestmark = pytest.mark.browser


def _plan_names(segments):
    return [item["name"] for item in engine.plan_for(segments, [])["items"] if item.get("side")]


def test_accept_with_edits_changes_one_segment_and_the_plan_follows(
    page, alice, password, clinic_a
):
    patient = PatientFactory(clinic=clinic_a, given_name="Esko", family_name="Virtanen")
    ConsentFactory(patient=patient, explained_by=alice)
    sign_in(page, "alice", password)
    page.goto(f"/clinical/patients/{patient.uuid}/assessment/")
    page.get_by_role("button", name="New assessment").click()
    page.locator("#id_finding_muscle").click()
    for name in ("Gluteus medius", "Tibialis anterior", "Extensor hallucis longus"):
        muscle = page.locator("#id_finding_muscle")
        expect(muscle).to_be_focused()
        muscle.fill(name)
        muscle.press("Enter")
        expect(page.locator("#findings tbody")).to_contain_text(name)
    expect(page.locator("#suggestion")).to_contain_text("L5-R")
    suggested = Assessment.objects.get(patient=patient).suggested_segments["suggested"]
    assert suggested, "the engine suggests segments"

    # The edit: one segment changed, the last suggested one becomes C6-R.
    edited = [*suggested[:-1], "C6-R"]
    assert set(_plan_names(edited)) != set(_plan_names(suggested))
    accepted = page.locator("#id_accepted_segments")
    accepted.fill("")
    page.get_by_role("link", name="Accept with edits").click()
    expect(accepted).to_be_focused()
    expect(accepted).to_have_value(", ".join(suggested))
    accepted.fill(", ".join(edited))
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()
    expect(page.locator("#accepted-now")).to_contain_text("C6-R")
    assert Assessment.objects.get(patient=patient).accepted_segments == edited

    # The Course tab proposes the plan for the edited segments, in the engine's order.
    page.locator("#accepted-now").get_by_role(
        "link", name="Review the proposed course plan"
    ).click()
    expect(page.locator("#id_target_segments")).to_have_value(", ".join(edited))
    muscles = page.locator("#id_target_muscles").input_value().splitlines()
    expected = [
        f"{item['name']}, {item['side']}"
        for item in engine.plan_for(edited, [])["items"]
        if item.get("side")
    ][:10]
    assert muscles == expected
    assert (
        muscles
        != [
            f"{item['name']}, {item['side']}"
            for item in engine.plan_for(suggested, [])["items"]
            if item.get("side")
        ][:10]
    )
