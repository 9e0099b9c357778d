"""axe-core finds no serious or critical violation on the main pages: staff, portal and public.

axe-core is vendored for the tests only (tests/e2e/vendor/axe-core, from the npm registry); the app
never serves it. It is evaluated through the DevTools protocol, so the page's own CSP stays on.
"""

from pathlib import Path

import pytest

from tests.e2e import demo_pages
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SERIOUS_VIOLATIONS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 4).map(n => n.target.join(" ")).join(", ")}`);
}"""


def serious_violations(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.ok, f"{url} answered {response.status}"
    page.evaluate(AXE)
    return [f"{url}: {v}" for v in page.evaluate(SERIOUS_VIOLATIONS)]


@pytest.fixture
def demo(transactional_db):
    return demo_pages.build()


def _pages_for(role: str, urls: dict) -> list[str]:
    slug = urls["clinic"].slug
    return {
        "public": [
            "/accounts/login/",
            "/accounts/password-reset/",
            "/screening/",
            f"/screening/{slug}/",
            # The API docs page is checked once Swagger UI has rendered (test_api_docs.py).
        ],
        "practitioner": [
            "/today/",
            "/patients/",
            urls["chart"],
            urls["assessment"],
            urls["session"],
            urls["sessions"],
            urls["course"],
            urls["consent"],
            urls["outcomes"],
            "/profile/",
        ],
        "frontdesk": [
            "/today/",
            "/schedule/",
            "/schedule/book/",
            urls["appointment"],
            "/schedule/waitlist/",
            "/screening/requests/",
        ],
        "patient": ["/portal/", "/portal/book/", "/portal/intake/", "/portal/pain-drawing/"],
    }[role]


def test_main_pages_have_no_serious_axe_violations(browser, live_server, demo):
    found, visited = [], 0
    for role in ["public", "practitioner", "frontdesk", "patient"]:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        if role != "public":
            sign_in(page, role, demo_pages.passwords()[role])
            page.wait_for_url(lambda url: "/accounts/login" not in url)
        for url in _pages_for(role, demo):
            found += serious_violations(page, url)
            visited += 1
        context.close()
    assert visited >= 15
    assert not found, "Serious or critical accessibility violations:\n" + "\n".join(found)
