"""Front desk completes a visit, invoices it, splits it with the patient's insurer, takes the
insurer's share and a debit payment, prints the receipt; the patient then finds the receipt in
the portal. A real browser (Chromium) against the live server."""

import datetime
import io
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from imsclinic.accounts.models import ProfessionalRegistration
from imsclinic.billing.models import Invoice
from imsclinic.scheduling.models import Status
from tests.billing.online_provider import Checkout, webhook
from tests.e2e.conftest import sign_in
from tests.factories import AppointmentFactory, CoverageFactory, ServiceFactory

pytestmark = pytest.mark.browser


def pdf_text(download) -> str:
    data = open(download.path(), "rb").read()
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_front_desk_takes_a_split_payment_and_the_patient_sees_the_receipt(
    page, screenshot, clinic_morning, clinic_a, alice, bob, pat, patient_a, password
):
    treatment = ServiceFactory(clinic=clinic_a, name="IMS treatment", price=Decimal("95.00"))
    visit = AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        service=treatment,
        kind=treatment.kind,
        starts_at=clinic_morning - datetime.timedelta(hours=1),
        status=Status.IN_SESSION,
    )
    coverage = CoverageFactory(patient=patient_a, insurer_name="Blue Cross")
    registration = ProfessionalRegistration.objects.get(user=alice)

    sign_in(page, "bob", password)
    page.goto(f"/schedule/appointments/{visit.uuid}/")
    page.get_by_role("button", name="Patricia Nguyen: mark Completed").click()
    page.get_by_role("button", name="Invoice this visit", exact=True).click()
    expect(page.get_by_role("heading", name="Lines")).to_be_visible()

    page.locator("#id_split-coverage").select_option(label=f"Blue Cross {coverage.member_id}")
    page.locator("#id_split-amount").fill("60.00")
    page.get_by_role("button", name="Bill the payer").click()
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("#balance-due")).to_have_text("95.00")

    page.locator("#id_pay-method").select_option("insurer")
    page.locator("#id_pay-amount").fill("60.00")
    page.locator("#id_pay-coverage").select_option(label=f"Blue Cross {coverage.member_id}")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#balance-due")).to_have_text("35.00")
    page.locator("#id_pay-method").select_option("debit")
    page.locator("#id_pay-amount").fill("35.00")
    page.locator("#id_pay-reference").fill("TRM 0042")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#balance-due")).to_have_text("0.00")
    screenshot("billing-invoice-paid")

    with page.expect_download() as printed:
        page.get_by_role("link", name="Print receipt (PDF)").click()
    receipt = pdf_text(printed.value)
    assert f"Registration no. {registration.number}" in receipt
    assert "IMS treatment" in receipt and "35.00" in receipt and "Blue Cross" in receipt

    page.get_by_role("button", name="Sign out").first.click()
    sign_in(page, "pat", password)
    invoice = Invoice.objects.get(appointment=visit)
    expect(page.get_by_role("heading", name="Your invoices and receipts")).to_be_visible()
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=f"Receipt for {invoice}").click()
    assert "Paid by the patient" in pdf_text(downloaded.value)
    screenshot("billing-portal")


def test_clinic_admin_downloads_the_accountant_export(page, screenshot, olivia, bob, password):
    from imsclinic.billing import actions
    from tests.factories import PatientFactory

    patient = PatientFactory(clinic=olivia.memberships.first().clinic)
    invoice = actions.create_invoice(
        patient=patient, by=bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
    )
    actions.issue_invoice(invoice=invoice, by=bob)
    actions.record_payment(invoice=invoice, by=bob, method="debit", amount="95", reference="T-9")

    sign_in(page, "olivia", password)
    page.goto("/billing/reports/")
    expect(page.get_by_role("heading", name="Accountant export")).to_be_visible()
    for width in (390, 768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"billing-accountant-export-{width}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeffRecord,Number,Date")
    assert "Payment,," in text and "T-9" in text and patient.family_name not in text


def test_the_patient_pays_online_on_the_providers_page_and_the_portal_shows_it_paid(
    page, screenshot, live_server, settings, bob, pat, patient_a, password
):
    from imsclinic.billing import actions

    settings.IMSCLINIC_PAYMENT_PROVIDER = "tests.billing.online_provider.InProcessProvider"
    invoice = actions.issue_invoice(
        invoice=actions.create_invoice(
            patient=patient_a, by=bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
        ),
        by=bob,
    )
    # The provider's checkout page is on the provider's servers; the browser is answered here.
    page.route(
        "https://checkout.provider.invalid/**",
        lambda route: route.fulfill(content_type="text/html", body="<h1>Provider checkout</h1>"),
    )
    sign_in(page, "pat", password)
    pay = page.get_by_role("button", name=f"Pay 95.00 owed on {invoice} online")
    expect(pay).to_be_visible()
    for width in (390, 768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        pay.scroll_into_view_if_needed()
        screenshot(f"billing-portal-pay-online-{width}")
    pay.click()
    # The portal's CSP allows forms to post only to the clinic's own site: the patient follows
    # a link to the provider.
    expect(page.get_by_role("heading", name="Pay 95.00 CAD online")).to_be_visible()
    screenshot("billing-portal-checkout")
    page.get_by_role("link", name="Continue to In-process test provider").click()
    expect(page.get_by_role("heading", name="Provider checkout")).to_be_visible()
    reference = page.url.rsplit("/", 1)[1]

    # The patient pays there; the provider's signed webhook reaches the server over HTTP.
    paid = Checkout(
        provider_reference=reference, url=page.url, amount=Decimal("95.00"), currency="CAD"
    )
    body, headers = webhook(checkout=paid, invoice=invoice, started_by=pat)
    request = urllib.request.Request(
        f"{live_server.url}/billing/online/webhook/",
        data=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the live server
        assert answer.status == 200

    page.goto("/portal/")
    expect(page.get_by_text("Total 95.00 · paid 95.00")).to_be_visible()
    expect(page.get_by_role("button", name=f"Pay 95.00 owed on {invoice} online")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Receipt for {invoice}")).to_be_visible()
