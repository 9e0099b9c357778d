"""In the browser: the owner uploads the clinic's logo and sets two reminder times; the logo
shows on the public page and the staff header; a video visit shows its link to staff; a
screening request that matches a chart is caught and attached. Screenshots at phone, tablet and
desktop widths (looked at by hand)."""

import datetime

import pytest
from PIL import Image
from playwright.sync_api import expect

from imsclinic.scheduling.models import Mode
from tests.e2e.conftest import sign_in
from tests.factories import AppointmentFactory, EvaluationRequestFactory, PatientFactory

pytestmark = pytest.mark.browser
WIDTHS = (390, 768, 1366)
ROOM = "https://video.example.org/room/bow-valley"


def shots(page, screenshot, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {width}px"
    page.set_viewport_size({"width": 1180, "height": 860})


def test_logo_reminders_video_link_and_intake_duplicates(
    page, screenshot, settings, tmp_path, olivia, bob, alice, clinic_a, password
):
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = tmp_path / "logo.png"
    image = Image.new("RGB", (600, 200), (31, 78, 121))
    for x in range(60, 540):
        for y in range(80, 120):
            image.putpixel((x, y), (240, 200, 60))
    image.save(logo)

    sign_in(page, olivia.username, password)
    page.goto(f"/clinic-admin/{clinic_a.uuid}/settings/")
    page.get_by_label("Logo file (PNG or JPEG)").set_input_files(str(logo))
    page.get_by_role("button", name="Upload the logo").click()
    expect(page.get_by_text("Logo saved.")).to_be_visible()
    page.get_by_label("Reminders (hours before the visit)").fill("48, 2")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Clinic settings saved.")).to_be_visible()
    expect(page.get_by_label("Reminders (hours before the visit)")).to_have_value("48, 2")
    expect(page.locator("img.clinic-logo-header")).to_be_visible()
    shots(page, screenshot, "clinic-settings-logo")
    clinic_a.refresh_from_db()
    assert clinic_a.policies["reminder_lead_hours"] == [48, 2]

    page.goto(f"/clinics/{clinic_a.slug}/")
    logo_img = page.get_by_role("img", name=f"{clinic_a.name} logo")
    expect(logo_img).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", logo_img.element_handle()) == 600
    shots(page, screenshot, "clinic-page-logo")

    # A long email address (the messages table lists it): it wraps instead of pushing the page
    # sideways at tablet width (random short names hid this until one came out long).
    long_email = "bartholomew.wolfeschlegelsteinhausen-montgomery@example.org"
    visit = AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=PatientFactory(clinic=clinic_a, email=long_email),
        mode=Mode.VIDEO,
        starts_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3),
    )
    page.goto(f"/schedule/appointments/{visit.uuid}/")
    page.get_by_role("textbox", name="Video link").fill("http://video.example.org/room")
    page.get_by_role("button", name="Save and email the patient").click()
    expect(page.get_by_text("Give the video link as an https:// address.")).to_be_visible()
    page.get_by_role("textbox", name="Video link").fill(ROOM)
    page.get_by_role("button", name="Save and email the patient").click()
    expect(page.get_by_role("link", name=ROOM)).to_be_visible()
    shots(page, screenshot, "appointment-video-link")
    # The same address on the chart's summary, a two-column facts list, on a phone.
    page.goto(f"/patients/{visit.patient.uuid}/")
    expect(page.get_by_text(long_email)).to_be_visible()
    shots(page, screenshot, "chart-summary-long-email")

    chart = PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=datetime.date(1971, 2, 3),
        email="other@example.org",
        phone="",
    )
    request = EvaluationRequestFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=datetime.date(1971, 2, 3),
        email="ruth@example.org",
    )
    page.goto(f"/screening/requests/{request.uuid}/")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_role("heading", name="Possible duplicates")).to_be_visible()
    shots(page, screenshot, "request-duplicates")
    page.get_by_role("button", name=f"Attach to chart {chart.chart_number}").click()
    expect(page.get_by_text("The request is attached to Ruth Ames")).to_be_visible()
    request.refresh_from_db()
    assert request.patient == chart
