"""Steps of charting in the browser that several walk-throughs share."""

from playwright.sync_api import expect


def chart_deep_gluteal_sites(page) -> None:
    """Chart piriformis and gluteus medius (deep sites near large vessels), with today's
    response and tolerance, six needles in and out and clean technique, then save."""
    muscle = page.get_by_label("Muscle", exact=True)
    for index, (name, depth) in enumerate((("Piriformis", "60"), ("Gluteus medius", "40")), 1):
        muscle.fill(name)
        page.get_by_label("Depth (mm)").fill(depth)
        page.get_by_label("Response").select_option("twitch")
        page.get_by_label("Tolerance").select_option("good")
        page.get_by_label("Depth (mm)").press("Enter")
        expect(page.locator(".needling-table tbody tr")).to_have_count(index)
    page.locator("#id_needles_in").fill("6")
    page.locator("#id_needles_out").fill("6")
    page.get_by_label("Skin prepared").check()
    page.get_by_label("Hand hygiene").check()
    page.get_by_label("Needles into sharps container").check()
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()


def expect_blood_thinner_refusal(page) -> None:
    page.get_by_role("button", name="Sign session").click()
    status = page.get_by_role("status")
    expect(
        status.get_by_text("Precaution not resolved: Anticoagulant or antiplatelet medication")
    ).to_be_visible()
    expect(status.get_by_text("Piriformis (Right) is excluded")).to_be_visible()
    expect(status.get_by_text("Gluteus medius (Right) is excluded")).to_be_visible()


def record_physician_clearance(page) -> None:
    page.get_by_text("Record a clearance", exact=True).click()
    page.get_by_label("Cleared by").fill("Dr Chen, prescribing physician")
    page.get_by_label("How").select_option(label="Letter or note")
    page.get_by_label("Document reference (optional)").fill("Letter of 2026-11-20")
    page.get_by_role("button", name="Record clearance").click()
    expect(page.get_by_text("Clearance recorded.")).to_be_visible()
    expect(
        page.locator("#precautions").get_by_text("Cleared by Dr Chen, prescribing physician")
    ).to_be_visible()
    expect(page.get_by_text("Signing will be refused until")).to_have_count(0)
