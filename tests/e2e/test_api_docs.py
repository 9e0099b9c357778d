"""The API docs page works offline and under the app's CSP: vendored Swagger UI, no inline script."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot
from tests.e2e.test_accessibility import AXE, SERIOUS_VIOLATIONS
from tests.workers import HANG_GUARD_SECONDS

pytestmark = pytest.mark.browser


def test_api_docs_render_from_vendored_files_and_pass_axe(page, live_server):
    """Swagger UI renders after the page's load event (it fetches the schema first): axe runs on
    the rendered operations, two of them open, never on the empty page it starts as."""
    requested_hosts, csp_errors = set(), []
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # The schema is built on its first request, which took over 10 s on a loaded 2-core machine:
    # wait for that response itself (the timeout is a hang guard), then for the rendering.
    with page.expect_response(
        lambda answer: "openapi" in answer.url, timeout=HANG_GUARD_SECONDS * 1000
    ) as schema:
        response = page.goto("/api/v1/docs")
    assert schema.value.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="IMS Clinic API").first).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    # Operations open and show their parameters and responses: one with a request body, one with
    # query parameters.
    for n in (0, 1):
        operations.nth(n).locator(".opblock-summary").click()
        expect(operations.nth(n).locator(".responses-wrapper")).to_be_visible()
    page.evaluate(AXE)
    assert page.evaluate(SERIOUS_VIOLATIONS) == []
    assert requested_hosts == {live_server.url.split("/")[2]}, requested_hosts
    assert not csp_errors, csp_errors
    save_screenshot(page, "api-docs")
