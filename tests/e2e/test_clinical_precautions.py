"""A patient on blood thinners: signing a session with deep sites near large vessels is refused
until the practitioner records the prescribing physician's clearance in the browser."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import PrecautionClearance, TreatmentSession
from tests.e2e.conftest import sign_in
from tests.factories import ConsentFactory, CourseOfCareFactory, PatientFactory

pytestmark = pytest.mark.browser


def test_blood_thinners_block_deep_sites_until_a_clearance_is_recorded(
    page, screenshot, alice, password, clinic_a
):
    patient = PatientFactory(clinic=clinic_a, given_name="Ingrid", family_name="Halvorsen")
    ConsentFactory(patient=patient, explained_by=alice)
    CourseOfCareFactory(patient=patient, practitioner=alice)
    sign_in(page, "alice", password)
    page.get_by_role("button", name="Start session for Ingrid Halvorsen").click()
    expect(page.get_by_role("heading", name="Session 1")).to_be_visible()
    page.wait_for_load_state("load")

    # Pre-check: the patient now takes blood thinners.
    page.get_by_text("Contraindications and precautions", exact=True).click()
    page.get_by_label("Anticoagulant or antiplatelet medication (precaution)").check()
    page.get_by_role("button", name="Nothing new / save check").click()
    expect(page.get_by_text("Pre-session check recorded.")).to_be_visible()

    muscle = page.get_by_label("Muscle", exact=True)
    for index, (name, depth) in enumerate((("Piriformis", "60"), ("Gluteus medius", "40")), 1):
        muscle.fill(name)
        page.get_by_label("Depth (mm)").fill(depth)
        page.get_by_label("Response").select_option("twitch")
        page.get_by_label("Tolerance").select_option("good")
        page.get_by_label("Depth (mm)").press("Enter")
        expect(page.locator(".needling-table tbody tr")).to_have_count(index)

    page.locator("#id_needles_in").fill("6")
    page.locator("#id_needles_out").fill("6")
    page.get_by_label("Skin prepared").check()
    page.get_by_label("Hand hygiene").check()
    page.get_by_label("Needles into sharps container").check()
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()

    page.get_by_role("button", name="Sign session").click()
    status = page.get_by_role("status")
    expect(
        status.get_by_text(
            "Precaution not resolved: Anticoagulant or antiplatelet medication (today's check)."
        )
    ).to_be_visible()
    expect(status.get_by_text("Piriformis (Right) is excluded")).to_be_visible()
    expect(status.get_by_text("Gluteus medius (Right) is excluded")).to_be_visible()
    session = TreatmentSession.objects.get(patient=patient)
    assert session.signed_at is None
    screenshot("clinical-precaution-refused")

    page.get_by_text("Record a clearance", exact=True).click()
    page.get_by_label("Cleared by").fill("Dr Chen, prescribing physician")
    page.get_by_label("How").select_option(label="Letter or note")
    page.get_by_label("Document reference (optional)").fill("Letter of 2026-11-20")
    page.get_by_role("button", name="Record clearance").click()
    expect(page.get_by_text("Clearance recorded.")).to_be_visible()
    precautions = page.locator("#precautions")
    expect(precautions.get_by_text("Cleared by Dr Chen, prescribing physician")).to_be_visible()
    expect(page.get_by_text("Signing will be refused until")).to_have_count(0)
    screenshot("clinical-precaution-cleared")

    page.get_by_role("button", name="Sign session").click()
    expect(page.get_by_text("Session 1 signed and locked.")).to_be_visible()
    session.refresh_from_db()
    assert session.signed_by == alice
    assert [p["id"] for p in session.active_precautions] == ["anticoagulants"]
    clearance = PrecautionClearance.objects.get(patient=patient)
    assert clearance.session == session and clearance.document_reference == "Letter of 2026-11-20"
