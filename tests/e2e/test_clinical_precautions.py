"""A patient on blood thinners: signing a session with deep sites near large vessels is refused
until the practitioner records the prescribing physician's clearance in the browser."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import PrecautionClearance, TreatmentSession
from tests.e2e.charting import (
    chart_deep_gluteal_sites,
    expect_blood_thinner_refusal,
    record_physician_clearance,
)
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

    chart_deep_gluteal_sites(page)
    expect_blood_thinner_refusal(page)
    session = TreatmentSession.objects.get(patient=patient)
    assert session.signed_at is None
    screenshot("clinical-precaution-refused")

    record_physician_clearance(page)
    screenshot("clinical-precaution-cleared")

    page.get_by_role("button", name="Sign session").click()
    expect(page.get_by_text("Session 1 signed and locked.")).to_be_visible()
    session.refresh_from_db()
    assert session.signed_by == alice
    assert [p["id"] for p in session.active_precautions] == ["anticoagulants"]
    clearance = PrecautionClearance.objects.get(patient=patient)
    assert clearance.session == session and clearance.document_reference == "Letter of 2026-11-20"
