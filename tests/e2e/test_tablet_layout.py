"""Today, the assessment and the session page fit a phone, a tablet and a laptop without
sideways scrolling, and on a tablet every control is at least 44 px tall to tap.

Screenshots at each width land in test-artifacts/ (docs/screenshots/ holds the committed ones).
"""

import pytest

from tests.e2e import demo_pages
from tests.e2e.conftest import save_screenshot, sign_in

pytestmark = pytest.mark.browser

WIDTHS = [390, 768, 1366]
PAGES = ["today", "assessment", "session"]
MIN_TOUCH_PX = 44
# Visible controls a finger taps, in the page's content (the skip link and hidden inputs aside).
# A checkbox or radio is tapped through its label, so the label is what is measured.
SMALL_TARGETS = """(minimum) => [...document.querySelectorAll(
    "main button, main input:not([type=hidden]), main select, main summary, main a.button")]
  .filter(el => el.offsetParent !== null)
  .map(el => (el.type === "checkbox" || el.type === "radio")
    ? (el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el) : el)
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => box.height < minimum - 0.5)
  .map(([el, box]) => `${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || "").trim().slice(0, 40)}" ${Math.round(box.height)} px`)"""


def test_pages_fit_each_width_without_sideways_scrolling(browser, live_server):
    urls = demo_pages.build()
    urls["today"] = "/today/"
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, "practitioner", demo_pages.passwords()["practitioner"])
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    too_wide, too_small = [], []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name in PAGES:
            assert page.goto(urls[name]).ok
            save_screenshot(page, f"layout-{name}-{width}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{name} at {width} px is {scroll_width} px wide")
            if width == 768:
                too_small += [f"{name}: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TOUCH_PX)]
    context.close()
    assert not too_wide, "\n".join(too_wide)
    assert not too_small, "Touch targets under 44 px on a tablet:\n" + "\n".join(too_small)
