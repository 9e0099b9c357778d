"""Issue 12's walk-through in a browser: a visitor screens with "blood thinners"; front desk
turns the request into a patient; the first assessment's screening re-check shows the answer
pre-ticked with its date; once that assessment is signed, a session with deep sites near large
vessels is refused until the prescribing physician's clearance is recorded, and then signs."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import Assessment, TreatmentSession
from imsclinic.patients.models import Patient
from imsclinic.screening.models import EvaluationRequest
from tests.e2e.charting import (
    chart_deep_gluteal_sites,
    expect_blood_thinner_refusal,
    record_physician_clearance,
)
from tests.e2e.conftest import sign_in
from tests.e2e.test_front_door import answer_every_question_no
from tests.factories import ConsentFactory, CourseOfCareFactory

pytestmark = pytest.mark.browser

BLOOD_THINNERS = "Do you take blood thinners"


def test_blood_thinners_from_the_self_screening_hold_signing_until_a_clearance(
    browser, live_server, screenshot, page, alice, bob, password, clinic_a
):
    # The visitor, on the public page.
    page.goto(f"/screening/{clinic_a.slug}/")
    page.get_by_label("Low back").check()
    page.get_by_label("How long have you had this pain?").select_option(label="1 to 2 years")
    answer_every_question_no(page)
    page.locator("input[name='anticoagulants'][value='yes']").check()
    page.get_by_label("What is your date of birth?").fill("1968-04-12")
    page.get_by_role("button", name="See my result").click()
    expect(
        page.get_by_role("heading", name="An assessment is possible, with a check first")
    ).to_be_visible()
    page.get_by_role("link", name="Ask the clinic to call me instead").click()
    page.get_by_label("First name").fill("Ingrid")
    page.get_by_label("Last name").fill("Solberg")
    page.get_by_label("Phone").fill("(403) 555-0142")
    expect(page.get_by_label("Date of birth")).to_have_value("1968-04-12")
    page.get_by_label("The clinic may keep my answers").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    evaluation = EvaluationRequest.objects.get()
    assert evaluation.answers["anticoagulants"] is True

    # Front desk turns the request into a patient (date of birth already carried over).
    desk = browser.new_context(base_url=live_server.url, viewport={"width": 1180, "height": 860})
    front = desk.new_page()
    sign_in(front, "bob", password)
    front.get_by_role("link", name="Requests", exact=True).click()
    front.get_by_role("link", name="Solberg, Ingrid").click()
    expect(front.get_by_label("Date of birth")).to_have_value("1968-04-12")
    front.get_by_role("button", name="Create patient").click()
    expect(front.get_by_text("Registered Ingrid Solberg")).to_be_visible()
    desk.close()
    patient = Patient.objects.get(family_name="Solberg")

    # The practitioner opens the first assessment: the answer is there, pre-ticked and dated.
    page.context.clear_cookies()
    sign_in(page, "alice", password)
    page.goto(f"/clinical/patients/{patient.uuid}/assessment/")
    page.get_by_role("button", name="New assessment").click()
    day = evaluation.created_at.astimezone(clinic_a.tz).date().isoformat()
    notice = page.locator("#screening-source")
    expect(notice).to_contain_text(f"Pre-ticked from the patient's self-screening on {day}")
    expect(page.get_by_role("checkbox", name=BLOOD_THINNERS)).to_be_checked()
    expect(page.locator("fieldset.screening")).to_contain_text(
        f"Age: {patient.age_on(clinic_a.today())}"
    )
    screenshot("carry-over-assessment-prefilled")

    # Saving is the practitioner's confirmation.
    page.get_by_role("button", name="Save assessment").click()
    expect(page.locator("#screening-source")).to_contain_text("Confirmed by the practitioner")
    assessment = Assessment.objects.get(patient=patient)
    assert assessment.screening_confirmed
    assert assessment.screening_answers["anticoagulants"] is True

    # Signed, the assessment's precautions are on record for every later session.
    page.get_by_role("button", name="Sign assessment").click()
    expect(page.get_by_text("Signed by Alice Practitioner")).to_be_visible()
    ConsentFactory(patient=patient, explained_by=alice, signature_name="Ingrid Solberg")
    CourseOfCareFactory(patient=patient, practitioner=alice)

    # A session: the pre-check finds nothing new, and deep gluteal sites are charted.
    page.goto("/today/")
    page.get_by_role("button", name="Start session for Ingrid Solberg").click()
    expect(page.get_by_role("heading", name="Session 1")).to_be_visible()
    page.wait_for_load_state("load")
    page.get_by_text("Contraindications and precautions", exact=True).click()
    page.get_by_role("button", name="Nothing new / save check").click()
    expect(page.get_by_text("Pre-session check recorded.")).to_be_visible()
    chart_deep_gluteal_sites(page)
    expect_blood_thinner_refusal(page)
    session = TreatmentSession.objects.get(patient=patient)
    assert session.signed_at is None
    screenshot("carry-over-session-refused")

    record_physician_clearance(page)
    page.get_by_role("button", name="Sign session").click()
    expect(page.get_by_text("Session 1 signed and locked.")).to_be_visible()
    session.refresh_from_db()
    assert session.signed_by == alice
    assert "anticoagulants" in [p["id"] for p in session.active_precautions]
