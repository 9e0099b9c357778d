"""A practitioner charts a full six-muscle session from the Today page and signs it."""

import pytest
from playwright.sync_api import expect

from imsclinic.clinical.models import TreatmentSession
from tests.e2e.conftest import sign_in
from tests.factories import ConsentFactory, CourseOfCareFactory, PatientFactory

pytestmark = pytest.mark.browser

SIX_MUSCLES = [
    ("Gluteus medius", "R", "40"),
    ("Piriformis", "R", "60"),
    ("Lumbar multifidus L5", "R", "40"),
    ("Gastrocnemius", "R", "20"),
    ("Tibialis anterior", "R", "20"),
    ("Quadratus lumborum", "R", "50"),
]


class Clicks:
    """Counts pointer clicks the practitioner makes (typing and Enter are not clicks)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, locator):
        self.count += 1
        locator.click()


def test_chart_six_muscle_session_from_today_and_sign(page, screenshot, alice, password, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_name="Marisol", family_name="Okonkwo")
    ConsentFactory(patient=patient, explained_by=alice)
    CourseOfCareFactory(patient=patient, practitioner=alice)
    sign_in(page, "alice", password)
    clicks = Clicks(page)

    expect(page.get_by_role("heading", name="To chart")).to_be_visible()
    screenshot("clinical-today")
    clicks.click(page.get_by_role("button", name="Start session for Marisol Okonkwo"))
    expect(page.get_by_role("heading", name="Session 1")).to_be_visible()

    clicks.click(page.get_by_role("button", name="Nothing new / save check"))
    expect(page.get_by_text("Pre-session check recorded.")).to_be_visible()

    muscle = page.get_by_label("Muscle", exact=True)
    for index, (name, _side, depth) in enumerate(SIX_MUSCLES, start=1):
        expect(muscle).to_be_focused()  # autofocus: the keyboard stays on the row form
        muscle.fill(name)
        page.get_by_label("Depth (mm)").fill(depth)
        # Response and tolerance are what was seen today: never pre-selected (keyboard: tab,
        # type "t"; tab, type "g").
        page.get_by_label("Response").select_option("twitch")
        page.get_by_label("Tolerance").select_option("good")
        if index == 1:
            page.get_by_label("Gauge").fill("0.30")
            page.get_by_label("Length (mm)").fill("50")
            page.get_by_label("Lot").fill("LOT-2291")
        page.get_by_label("Depth (mm)").press("Enter")
        expect(page.locator(".needling-table tbody tr")).to_have_count(index)
    # The needle used last is carried to the next row.
    expect(page.get_by_label("Lot")).to_have_value("LOT-2291")
    expect(page.get_by_text("Lung and pleura beneath")).to_have_count(0)
    screenshot("clinical-rows")

    page.get_by_label("Pain before (NPRS 0-10)").fill("7")
    page.get_by_label("Pain after (NPRS 0-10)").fill("4")
    page.locator("#id_needles_in").fill("18")
    page.locator("#id_needles_out").fill("18")
    page.get_by_label("Duration (minutes)").fill("30")
    clicks.click(page.get_by_label("Skin prepared"))
    clicks.click(page.get_by_label("Hand hygiene"))
    clicks.click(page.get_by_label("Needles into sharps container"))
    page.get_by_label("Aftercare given").fill("Heat and walking; soreness 24-48 h is expected.")
    clicks.click(page.get_by_role("button", name="Save session"))
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.get_by_text("Signing will be refused until")).to_have_count(0)

    clicks.click(page.get_by_role("button", name="Sign session"))
    expect(page.get_by_text("Session 1 signed and locked.")).to_be_visible()
    expect(page.get_by_role("link", name="Sessions", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("6 rows")).to_be_visible()
    expect(page.get_by_text("18 in / 18 out")).to_be_visible()
    expect(page.locator(".badge-ok", has_text="Signed")).to_be_visible()
    screenshot("clinical-signed")

    session = TreatmentSession.objects.get(patient=patient)
    assert session.signed_by == alice and session.needling_rows.count() == 6
    assert [r.muscle_id for r in session.needling_rows.all()][:2] == [
        "gluteus_medius",
        "piriformis",
    ]
    # docs/charting.md reports this number.
    assert clicks.count == 7, clicks.count


def test_signing_refusal_is_shown_in_the_browser(page, alice, password, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_name="Theo", family_name="Brandt")
    CourseOfCareFactory(patient=patient, practitioner=alice)
    sign_in(page, "alice", password)
    page.get_by_role("button", name="Start session for Theo Brandt").click()
    # Type only once htmx has wired the muscle box, or the first keystrokes go unheard.
    page.wait_for_load_state("load")
    page.get_by_label("Muscle", exact=True).fill("Rhomboid major")
    expect(page.get_by_text("Lung and pleura beneath")).to_be_visible()  # hazard as you type
    page.get_by_label("Depth (mm)").fill("12")
    page.get_by_label("Response").select_option("grasp_2")
    page.get_by_label("Tolerance").select_option("good")
    page.get_by_label("Depth (mm)").press("Enter")
    page.get_by_role("button", name="Sign session").click()
    expect(
        page.get_by_role("status").get_by_text("No informed consent is recorded")
    ).to_be_visible()
    expect(page.get_by_text("Needle count does not match")).to_have_count(0)
