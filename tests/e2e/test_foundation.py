"""A practitioner signs in, finds a patient and opens the chart, in a real browser."""

import pytest
from playwright.sync_api import expect

from imsclinic.audit.models import ChartAccess
from tests.e2e.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser


def test_sign_in_search_and_open_chart(page, screenshot, alice, password, clinic_a):
    PatientFactory(
        clinic=clinic_a, given_name="Marisol", family_name="Okonkwo", date_of_birth="1968-05-17"
    )
    PatientFactory(clinic=clinic_a, given_name="Theo", family_name="Brandt")

    sign_in(page, "alice", password)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    screenshot("foundation-today")

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name, date of birth (YYYY-MM-DD) or phone").fill("okon")
    result = page.get_by_role("link", name="Okonkwo, Marisol")
    expect(result).to_be_visible()
    expect(page.get_by_role("link", name="Brandt, Theo")).to_have_count(0)
    screenshot("foundation-search")

    result.click()
    expect(page.get_by_role("heading", name="Marisol Okonkwo")).to_be_visible()
    expect(page.get_by_text("Born 1968-05-17")).to_be_visible()
    screenshot("foundation-chart")
    assert ChartAccess.objects.filter(username="alice", what="chart.summary").count() == 1


def test_wrong_password_gets_a_generic_message(page, alice):
    sign_in(page, "alice", "not-the-password")
    expect(page.get_by_text("do not match an active account")).to_be_visible()
