"""The assessment in a browser: body chart by tap/keyboard, findings beside the engine suggestion."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import Assessment
from tests.e2e.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser


def test_findings_update_the_engine_suggestion_beside_them(
    page, screenshot, alice, password, clinic_a
):
    patient = PatientFactory(clinic=clinic_a, given_name="Ruth", family_name="Lindqvist")
    sign_in(page, "alice", password)
    page.goto(f"/clinical/patients/{patient.uuid}/assessment/")
    page.get_by_role("button", name="New assessment").click()
    expect(page.get_by_text("Add findings or Gunn signs")).to_be_visible()

    muscle = page.locator("#id_finding_muscle")
    for name in ("Gluteus medius", "Tibialis anterior", "Extensor hallucis longus"):
        muscle.fill(name)
        muscle.press("Enter")  # htmx swaps the panel; the cursor comes back for the next one
        expect(page.locator("#findings tbody")).to_contain_text(name)
        muscle = page.locator("#id_finding_muscle")
        expect(muscle).to_be_focused()
    suggestion = page.locator("#suggestion")
    expect(suggestion).to_contain_text("L5-R")
    expect(suggestion.get_by_role("heading", name="Suggested plan")).to_be_visible()
    # Beside, not below: the suggestion sits to the right of the findings on a tablet.
    findings_box = page.locator("#findings").bounding_box()
    suggestion_box = suggestion.bounding_box()
    assert suggestion_box["x"] > findings_box["x"] + findings_box["width"] - 1
    assert abs(suggestion_box["y"] - findings_box["y"]) < 5

    region = page.locator('[data-region="buttock_r"]')
    region.click()
    expect(region).to_have_attribute("aria-pressed", "true")
    page.locator('[data-region="low_back_r"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('[data-region="low_back_r"]')).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()
    screenshot("clinical-assessment")
    assessment = Assessment.objects.get(patient=patient)
    assert {m["region"] for m in assessment.body_chart} == {"buttock_r", "low_back_r"}
    assert "L5-R" in assessment.accepted_segments
