"""The patient's own pain drawing: drawn on the body chart in the portal with finger taps and the
keyboard, then seen by the practitioner on the assessment, labelled as the patient's and
pre-filling the pain diagram. Screenshots of the drawing page and of My profile at phone,
tablet and desktop widths, each checked for sideways scrolling and axe violations."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import PatientPainDrawing
from tests.e2e.conftest import save_screenshot, sign_in
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1366)


def test_a_patient_draws_and_the_practitioner_sees_it(page, pat, patient_a, alice, password):
    sign_in(page, "pat", password)
    page.goto("/portal/")
    page.get_by_role("link", name="Draw where it hurts").click()
    expect(page.get_by_role("heading", name="Where does it hurt?")).to_be_visible()
    # With JavaScript the brush chooses the type and strength once; taps mark the regions.
    page.get_by_label("What it feels like").select_option("burning")
    page.get_by_label("How strong (0 none, 10 worst)").select_option("7")
    low_back = page.get_by_role("button", name="Right low back", exact=True)
    low_back.click()
    expect(low_back).to_have_attribute("aria-pressed", "true")
    buttock = page.get_by_role("button", name="Right buttock", exact=True)
    buttock.focus()
    buttock.press("Enter")
    expect(buttock).to_have_attribute("aria-pressed", "true")
    page.get_by_label("What it feels like").select_option("tingling")
    page.get_by_label("How strong (0 none, 10 worst)").select_option("4")
    page.get_by_role("button", name="Right calf", exact=True).click()
    # A second tap clears a region.
    thigh = page.get_by_role("button", name="Right back of thigh", exact=True)
    thigh.click()
    thigh.click()
    expect(thigh).to_have_attribute("aria-pressed", "false")
    expect(page.locator("details.region-list summary")).to_have_text("Regions and marks (3 marked)")
    page.get_by_label("Anything else about your pain").fill("Worse after sitting.")
    page.get_by_role("button", name="Save my drawing").click()
    expect(page.get_by_text("Thank you. Your practitioner will see your drawing.")).to_be_visible()
    drawing = PatientPainDrawing.objects.get(patient=patient_a)
    assert {m["region"]: (m["pain_type"], m["intensity"]) for m in drawing.marks} == {
        "low_back_r": ("burning", 7),
        "buttock_r": ("burning", 7),
        "calf_r": ("tingling", 4),
    }

    # The practitioner opens the first assessment.
    page.context.clear_cookies()
    sign_in(page, "alice", password)
    page.goto(f"/clinical/patients/{patient_a.uuid}/assessment/")
    page.get_by_role("button", name="New assessment").click()
    own = page.locator("#patient-drawing")
    expect(own.get_by_role("heading", name="The patient's own drawing")).to_be_visible()
    expect(own).to_contain_text("Drawn by Patricia Nguyen in the patient portal")
    expect(own.locator("tbody tr")).to_have_count(3)
    expect(own.locator("tbody")).to_contain_text("Right calf")
    expect(own.locator("tbody")).to_contain_text("Pins and needles")
    expect(own).to_contain_text("Worse after sitting.")
    # The practitioner's own diagram starts from it, and is theirs to change.
    mine = page.locator("[data-bodychart]")
    expect(mine.get_by_role("button", name="Right low back", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    mine.get_by_role("button", name="Right calf", exact=True).click()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()
    assessment = patient_a.assessments.get()
    assert {m["region"] for m in assessment.body_chart} == {"low_back_r", "buttock_r"}


def test_pain_drawing_and_profile_fit_and_pass_axe(page, pat, patient_a, alice, password):
    """At a phone's, a tablet's and a laptop's width (one sign-in each, the page resized)."""
    sign_in(page, "pat", password)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page, "/portal/pain-drawing/") == [], width
        page.get_by_role("button", name="Right low back", exact=True).click()
        page.get_by_role("button", name="Right knee (front)", exact=True).click()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        save_screenshot(page, f"portal-pain-drawing-{width}", full_page=width == 390, docs=True)

    page.context.clear_cookies()
    sign_in(page, "alice", password)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page, "/profile/") == [], width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        save_screenshot(page, f"profile-{width}")
