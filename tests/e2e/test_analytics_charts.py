"""A clinic admin opens the analytics page in a real browser: four charts, each an image with an
accessible name, its table and its CSV link; no sideways scroll at a tablet's width."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.outcomes.test_analytics import build_analytics_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = (
    "Courses reaching the NPRS MCID, by condition",
    "Sessions to a meaningful change in NPRS, by condition",
    "Adverse events per 1,000 sessions: this clinic and the published rates",
    "Utilisation and no-shows by month",
)


@pytest.fixture
def demo(transactional_db):
    # Committed, for the live server's own connection (the analytics module's shared demo lives
    # in a transaction that is never committed).
    return build_analytics_demo()


def test_analytics_page_draws_each_chart_beside_its_table(page, screenshot, demo, password):
    admin = demo.users["admin"]
    admin.set_password(password)
    admin.save()
    sign_in(page, admin.username, password)
    page.goto("/outcomes/analytics/")
    for name in CHARTS:
        expect(page.get_by_role("img", name=name)).to_be_visible()
    for heading in ("Outcomes by condition", "Utilisation and no-shows"):
        expect(
            page.get_by_role("table", name=f"{heading}: the figures drawn above")
        ).to_be_visible()
    assert page.get_by_role("link", name="Download this table (CSV)").count() == 4
    screenshot("analytics")
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
