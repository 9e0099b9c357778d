"""A standard new-patient assessment charted with the body chart and the one-tap level grid alone
(no multi-select touched), the engine's suggestion accepted in one click, interactions counted for
docs/charting.md, and screenshots of the assessment at tablet and desktop widths."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import Assessment, TreatmentSession
from tests.e2e.conftest import save_screenshot, sign_in
from tests.e2e.interactions import Interactions
from tests.factories import ConsentFactory, CourseOfCareFactory, PatientFactory

pytestmark = pytest.mark.browser


def tap_region(counter, page, name):
    counter.click(page.get_by_role("button", name=name, exact=True))


def test_standard_assessment_by_body_chart_and_level_grid(page, alice, password, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_name="Ingrid", family_name="Solberg")
    ConsentFactory(patient=patient, explained_by=alice)
    sign_in(page, "alice", password)
    page.goto(f"/clinical/patients/{patient.uuid}/assessment/")
    counter = Interactions(page, "new-patient-assessment")
    counter.click(page.get_by_role("button", name="New assessment"))

    # With JavaScript the sign multi-selects and the checkbox grid are hidden; the chart tools
    # and the one-tap grid replace them.
    expect(page.locator("[data-chart-tools]")).to_be_visible()
    expect(page.locator("#sign-vasomotor")).to_be_hidden()
    expect(page.locator("[data-level-boxes]")).to_be_hidden()

    # Spinal palpation first (its own form): L4 and L5 right paraspinals tender, L5 right taut.
    counter.click(page.get_by_role("button", name="L4 paraspinal right: None"))
    counter.click(page.get_by_role("button", name="L5 paraspinal right: None"))
    l5 = page.get_by_role("button", name="L5 paraspinal right: Tender")
    counter.click(l5)
    expect(page.get_by_role("button", name="L5 paraspinal right: Taut")).to_be_visible()
    counter.click(page.get_by_role("button", name="S1 spinous process midline: None"))
    counter.click(page.get_by_role("button", name="Save spinal palpation"))
    expect(page.get_by_text("Spinal palpation saved (3 findings).")).to_be_visible()
    expect(page.get_by_role("button", name="L5 paraspinal right: Taut")).to_be_visible()

    # Muscle findings from the keyboard (htmx keeps the cursor in the muscle box).
    counter.click(page.locator("#id_finding_muscle"))
    for name in ("Gluteus medius", "Tibialis anterior", "Extensor hallucis longus"):
        muscle = page.locator("#id_finding_muscle")
        expect(muscle).to_be_focused()
        counter.type(muscle, name)
        counter.press(muscle, "Enter")
        expect(page.locator("#findings tbody")).to_contain_text(name)
    expect(page.locator("#suggestion")).to_contain_text("L5-R")

    # History: two fields typed.
    counter.type(page.get_by_label("Pain pattern"), "Low back pain into the right leg")
    counter.type(page.locator("#id_duration_months"), "8")

    # Pain diagram: intensity 7 burning, three regions tapped, one by the keyboard.
    counter.choose(page.get_by_label("Type of pain"), "burning")
    counter.choose(page.get_by_label("Intensity (0-10)"), "7")
    tap_region(counter, page, "Right low back")
    tap_region(counter, page, "Right buttock")
    thigh = page.get_by_role("button", name="Right back of thigh", exact=True)
    thigh.focus()
    counter.press(thigh, "Enter")
    expect(thigh).to_have_attribute("aria-pressed", "true")

    # Gunn's signs: tap a sign, then the regions; the marks appear in the sign's colour.
    counter.click(page.get_by_role("radio", name="Vasomotor change (cold area)"))
    expect(thigh).to_have_attribute("aria-pressed", "false")  # no vasomotor mark there yet
    tap_region(counter, page, "Right calf")
    counter.click(page.get_by_role("radio", name="Trophedema - orange-peel skin (peau d'orange)"))
    tap_region(counter, page, "Right low back")
    expect(page.locator('[data-dot-for="low_back_r"]')).to_have_count(1)
    expect(page.locator('.sign-dot[data-dot-for="low_back_r"]')).to_have_class(
        "sign-dot sign-colour-"
        + page.locator("#sign-trophedema_peau_d_orange").get_attribute("data-colour")
    )

    counter.choose(page.get_by_label("Condition", exact=True), "sciatica")

    # The engine's suggestion accepted in one click; it saves everything above with it.
    counter.click(page.locator("#suggestion").get_by_role("button", name="Accept", exact=True))
    expect(page.get_by_text("Assessment saved with the suggested segments")).to_be_visible()
    counter.click(page.get_by_role("button", name="Sign assessment"))
    expect(page.get_by_text("Assessment signed and locked.")).to_be_visible()

    counts = counter.report()
    assessment = Assessment.objects.get(patient=patient)
    assert assessment.is_signed
    assert "L5-R" in assessment.accepted_segments
    assert {m["region"]: (m["pain_type"], m["intensity"]) for m in assessment.body_chart} == {
        "low_back_r": ("burning", 7),
        "buttock_r": ("burning", 7),
        "thigh_back_r": ("burning", 7),
    }
    signs = {(s["sign"], s["region"]) for s in assessment.gunn_signs}
    assert ("trophedema_peau_d_orange", "low_back_r") in signs
    assert ("vasomotor", "calf_r") in signs
    assert {(f.structure, f.level, f.side, f.state) for f in assessment.level_findings.all()} == {
        ("paraspinal", "L4", "R", "tender"),
        ("paraspinal", "L5", "R", "taut"),
        ("spinous", "S1", "M", "tender"),
    }
    # The goal in docs/charting.md.
    assert counts["interactions"] <= 40, counts


def test_assessment_body_chart_fits_and_is_captured(page, alice, password, clinic_a):
    """Charted at a tablet's width, then the same page at a laptop's: it fits both."""
    patient = PatientFactory(clinic=clinic_a, given_name="Ruth", family_name="Lindqvist")
    sign_in(page, "alice", password)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"/clinical/patients/{patient.uuid}/assessment/")
    page.get_by_role("button", name="New assessment").click()
    tap_region(Interactions(page, "unused"), page, "Right low back")
    page.get_by_role("radio", name="Tender, shortened paraspinal muscles").click()
    tap_region(Interactions(page, "unused"), page, "Right buttock")
    page.get_by_role("button", name="L5 paraspinal right: None").click()
    chart = page.locator(".bodychart-fieldset")
    for width in (768, 1366):
        page.set_viewport_size({"width": width, "height": 1024})
        chart.scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The viewport on the body chart (the whole page is 6-8 screens long).
        chart.locator("legend").first.scroll_into_view_if_needed()
        page.evaluate(
            "window.scrollBy(0, document.querySelector('.bodychart-fieldset')"
            ".getBoundingClientRect().top - 8)"
        )
        save_screenshot(page, f"assessment-bodychart-{width}", full_page=False, docs=True)


def test_located_precaution_is_placed_by_tapping_the_body_chart(page, alice, password, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_name="Noor", family_name="Haddad")
    ConsentFactory(patient=patient, explained_by=alice)
    CourseOfCareFactory(patient=patient, practitioner=alice)
    sign_in(page, "alice", password)
    page.get_by_role("button", name="Start session for Noor Haddad").click()
    expect(page.get_by_role("heading", name="Session 1")).to_be_visible()
    # The raw multi-select is the no-JavaScript fallback; the chart replaces it.
    expect(page.locator("#id_regions")).to_be_hidden()
    page.get_by_text("Contraindications and precautions").click()
    page.get_by_label("Lymphoedema in the area or limb (contraindication)").check()
    arm = page.get_by_role("button", name="Right upper arm (front)", exact=True)
    arm.click()
    expect(arm).to_have_attribute("aria-pressed", "true")
    forearm = page.get_by_role("button", name="Right forearm (front)", exact=True)
    forearm.focus()
    forearm.press("Space")
    expect(page.locator("[data-picker-summary]")).to_have_text(
        "Chosen: Right upper arm (front), Right forearm (front)"
    )
    page.get_by_role("button", name="Update check").or_(
        page.get_by_role("button", name="Nothing new / save check")
    ).click()
    expect(page.get_by_text("Pre-session check recorded.")).to_be_visible()
    session = TreatmentSession.objects.get(patient=patient)
    assert session.precheck["items"] == [
        {"id": "lymphoedema", "regions": ["arm_front_r", "forearm_front_r"]}
    ]
    # Shown again on the chart after the reload.
    expect(
        page.get_by_role("button", name="Right upper arm (front)", exact=True)
    ).to_have_attribute("aria-pressed", "true")
