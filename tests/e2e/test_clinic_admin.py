"""The owner invites a practitioner by email; the practitioner sets a password from the emailed
link, signs in, and is an active practitioner on the clinic's staff list."""

import re

import pytest
from playwright.sync_api import expect

from imsclinic.accounts.models import Role, User
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple 7"


def test_owner_invites_a_practitioner_who_signs_in(
    page, screenshot, olivia, password, clinic_a, mailoutbox
):
    sign_in(page, "olivia", password)
    page.get_by_role("link", name="Clinic admin").click()
    expect(page.get_by_role("heading", name=f"Staff of {clinic_a.name}")).to_be_visible()
    page.get_by_label("Email").fill("priya@example.org")
    page.get_by_label("First name").fill("Priya")
    page.get_by_label("Last name").fill("Shah")
    page.get_by_label("Role").select_option(label="Practitioner")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation emailed to priya@example.org")).to_be_visible()
    staff = page.locator("#staff-list")
    expect(staff.get_by_role("row", name=re.compile("Priya Shah.*Invited"))).to_be_visible()
    screenshot("clinic-admin-invited")
    assert "/clinic-admin/invitation/" not in page.content()  # the link is only in the email

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/clinic-admin/invitation/\S+", mailoutbox[0].body)[0]
    username = User.objects.get(email="priya@example.org").username

    page.context.clear_cookies()  # the invited person's own browser
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome: choose your password")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()

    sign_in(page, username, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Today", exact=True, level=1)).to_be_visible()
    priya = User.objects.get(username=username)
    assert priya.is_active and priya.has_role(clinic_a, Role.PRACTITIONER)

    page.context.clear_cookies()
    sign_in(page, "olivia", password)
    page.goto(f"/clinic-admin/{clinic_a.uuid}/staff/")
    row = page.locator("#staff-list").get_by_role("row", name=re.compile("Priya Shah"))
    expect(row).to_contain_text("Practitioner")
    expect(row).to_contain_text("Active")
    screenshot("clinic-admin-joined")
