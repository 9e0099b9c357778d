"""A duplicate registration is caught at the desk and then merged by the clinic admin."""

import datetime

import pytest
from playwright.sync_api import expect

from imsclinic.patients.models import Patient
from tests.e2e.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser


def test_duplicate_registration_is_caught_and_merged(page, screenshot, olivia, password, clinic_a):
    existing = PatientFactory(
        clinic=clinic_a,
        given_name="Robert",
        family_name="Côté",
        date_of_birth=datetime.date(1971, 2, 3),
    )
    sign_in(page, "olivia", password)
    page.goto("/patients/new/")
    page.get_by_label("Given name").fill("Bob")
    page.get_by_label("Family name").fill("Cote")
    page.get_by_label("Date of birth").fill("1971-02-03")
    page.get_by_role("button", name="Register").click()

    warning = page.get_by_role("alert").filter(has_text="Possible duplicates")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("link", name="Robert Côté")).to_be_visible()
    screenshot("duplicates-1-warning")
    page.get_by_label("This is a different person: register anyway").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Registered Bob Cote")).to_be_visible()
    copy = Patient.objects.get(given_name="Bob")

    page.get_by_role("link", name="Find duplicates").click()
    row = page.get_by_role("row").filter(has_text=existing.chart_number)
    expect(row).to_contain_text("Similar name, same date of birth")
    row.get_by_label("Same person").check()
    screenshot("duplicates-2-candidates")
    row.get_by_role("button", name=f"Merge chart {existing.chart_number} into this chart").click()

    expect(
        page.get_by_text(f"Merged chart {existing.chart_number} into this chart.")
    ).to_be_visible()
    screenshot("duplicates-3-merged")
    existing.refresh_from_db()
    copy.refresh_from_db()
    assert not existing.is_active and existing.merged_into == copy
    assert copy.merged_chart_numbers == [existing.chart_number]
