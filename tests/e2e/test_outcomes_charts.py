"""A practitioner opens a patient's Outcomes tab in a real browser: charts, MCID band, flags."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.outcomes.conftest import flat_course  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("flat_course")
def test_outcomes_tab_shows_charts_and_the_no_change_flag(
    page, screenshot, alice, password, patient_a
):
    sign_in(page, "alice", password)
    expect(page.get_by_text("No meaningful change by session 4").first).to_be_visible()
    screenshot("outcomes-today")
    page.goto(f"/patients/{patient_a.uuid}/")
    page.get_by_role("link", name="Outcomes").click()
    expect(
        page.get_by_role("img", name="Pain before and after each session (0-10)")
    ).to_be_visible()
    expect(
        page.get_by_role("img", name="Numeric Pain Rating Scale (NPRS) over the course")
    ).to_be_visible()
    assert page.locator("rect.mcid-band").count() == 1
    expect(page.get_by_text("No meaningful change by session 4.")).to_be_visible()
    screenshot("outcomes-tab")
    with page.expect_download() as download:
        page.get_by_role("link", name="Progress report").click()
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("progress-")
