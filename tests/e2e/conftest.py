"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

The browser is Debian's Chromium headless shell (`apt-get install chromium-headless-shell`): the
same engine and version as the `chromium` package without the full browser's layers, which took
about 40% more CPU for the same tests (docs/adr/0009-browser-tests-on-the-headless-shell.md).
IMSCLINIC_CHROMIUM names another binary; where only `chromium` is installed, it is used. Without
either these tests are skipped with a clear message.
Screenshots land in test-artifacts/ for a person to look at when IMSCLINIC_SCREENSHOTS=1 (`make
screenshots`; CI's PostgreSQL pass sets it). A full-page PNG costs about 0.3 s and the browser
tests take about 75 of them, so `make test` skips them: no test asserts on the image itself.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run where a loop
# is running unless told that this synchronous use is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = (
    os.environ.get("IMSCLINIC_CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or "/usr/bin/chromium-headless-shell"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# docs/screenshots/ is refreshed on request only, so a test run leaves the worktree clean.
UPDATE_DOCS_SCREENSHOTS = bool(os.environ.get("IMSCLINIC_UPDATE_SCREENSHOTS"))
SCREENSHOTS = UPDATE_DOCS_SCREENSHOTS or os.environ.get("IMSCLINIC_SCREENSHOTS") == "1"


def save_screenshot(page, name: str, *, full_page: bool = True, docs: bool = False) -> None:
    """test-artifacts/<name>.png when screenshots are on; with `docs`, also docs/screenshots/
    when IMSCLINIC_UPDATE_SCREENSHOTS is set."""
    if not SCREENSHOTS:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if docs and UPDATE_DOCS_SCREENSHOTS:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=(
            f"Browser tests skipped: no Chromium at {CHROMIUM} "
            "(apt-get install chromium-headless-shell)"
        )
    )
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    # CI runs on two shared cores: give assertions the same patience as actions.
    expect.set_options(timeout=10_000)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1180, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def clinic_morning(clinic_a):
    """Run the test at 10:00 clinic time on the next day, with the clock ticking.

    Pages about "today" (the day's appointments, what is due) must not depend on when the suite
    runs: a visit booked for "today at 23:00" used to fail near midnight. The destination is in
    the future, so the session cookies the server sets are not already expired by the browser's
    own (real) clock. The live server runs in this process, so it travels too.
    """
    import datetime

    import time_machine

    local_now = datetime.datetime.now(clinic_a.tz)
    morning = datetime.datetime.combine(
        local_now.date() + datetime.timedelta(days=1), datetime.time(10, 0), tzinfo=clinic_a.tz
    )
    with time_machine.travel(morning, tick=True):
        yield morning


@pytest.fixture
def screenshot(page):
    """screenshot("name"): the whole page as test-artifacts/name.png (when screenshots are on)."""

    def take(name: str) -> None:
        save_screenshot(page, name)

    return take


def sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
