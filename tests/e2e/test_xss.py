"""Script typed into patient fields renders as inert text in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

PAYLOADS = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]


def test_script_in_patient_names_is_shown_literally_and_never_runs(
    page, screenshot, alice, password, clinic_a
):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, "alice", password)
    page.goto("/patients/new/")
    page.get_by_label("Given name").fill(PAYLOADS[0])
    page.get_by_label("Family name").fill(PAYLOADS[1])
    page.get_by_label("Date of birth").fill("1975-04-05")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name=f"{PAYLOADS[0]} {PAYLOADS[1]}")).to_be_visible()
    screenshot("xss-chart")
    PatientFactory(
        clinic=clinic_a, chart_number="X-1", given_name=PAYLOADS[1], family_name=PAYLOADS[0]
    )
    page.goto("/patients/?q=")
    expect(page.get_by_text(PAYLOADS[0]).first).to_be_visible()
    screenshot("xss-list")
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
