"""Online payments: off by default; with a provider, a checkout for the balance and a signed
webhook that records the payment once, however often (or concurrently) it is delivered. Card
numbers are never stored anywhere."""

import re
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connections

from imsclinic.audit.models import AuditEvent
from imsclinic.billing import actions, online
from imsclinic.billing.actions import BillingError
from imsclinic.billing.models import Payment, PaymentMethod
from tests.billing.online_provider import SIGNATURE_HEADER, webhook

PROVIDER = "tests.billing.online_provider.InProcessProvider"
WEBHOOK = "/billing/online/webhook/"


@pytest.fixture
def enabled(settings):
    settings.IMSCLINIC_PAYMENT_PROVIDER = PROVIDER


def _deliver(client, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(WEBHOOK, data=body, content_type="application/json", **extra)


@pytest.mark.django_db
def test_none_is_enabled_by_default(client, bob, issued):
    assert online.provider() is None
    invoice = issued()
    client.force_login(bob)
    response = client.post(f"/api/v1/billing/invoices/{invoice.uuid}/checkout")
    assert response.status_code == 409
    assert response.json()["detail"] == "Online payments are not enabled at this clinic."
    client.logout()
    assert client.post(WEBHOOK, data=b"{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_checkout_then_webhook_records_the_payment_once(client, enabled, bob, issued):
    invoice = issued("95.00")
    client.force_login(bob)
    response = client.post(f"/api/v1/billing/invoices/{invoice.uuid}/checkout")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "95.00" and response.json()["currency"] == "CAD"
    assert response.json()["url"].startswith("https://checkout.provider.invalid/")
    checkout = online.Checkout(
        provider_reference=response.json()["provider_reference"],
        url=response.json()["url"],
        amount=Decimal("95.00"),
        currency="CAD",
    )
    client.logout()  # the provider's server has no session
    body, headers = webhook(checkout=checkout, invoice=invoice, started_by=bob)
    first = _deliver(client, body, headers)
    assert first.status_code == 200, first.content
    again = _deliver(client, body, headers)
    assert again.json() == first.json()
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.amount, payment.recorded_by) == ("online", Decimal("95"), bob)
    assert payment.reference == checkout.provider_reference
    assert actions.balance_due(invoice) == 0
    assert AuditEvent.objects.filter(action="billing.payment.online").count() == 1


@pytest.mark.django_db
def test_a_forged_or_foreign_webhook_records_nothing(client, enabled, bob, issued):
    invoice = issued()
    checkout = online.start_checkout(invoice=invoice, by=bob)
    body, headers = webhook(checkout=checkout, invoice=invoice, started_by=bob)
    forged = _deliver(client, body, {SIGNATURE_HEADER: "0" * 64})
    assert forged.status_code == 400 and "signature" in forged.json()["detail"]
    failed, failed_headers = webhook(
        checkout=checkout, invoice=invoice, started_by=bob, kind="payment.failed"
    )
    assert _deliver(client, failed, failed_headers).json() == {"recorded": None}
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_more_than_owed_becomes_account_credit(enabled, bob, issued, patient):
    invoice = issued("95.00")
    checkout = online.start_checkout(invoice=invoice, by=bob)
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.CASH, amount="50")
    body, headers = webhook(checkout=checkout, invoice=invoice, started_by=bob)
    payment = online.confirm(body=body, headers=headers)
    assert payment.amount == Decimal("45.00")
    assert actions.account_credit(patient) == Decimal("50.00")


@pytest.mark.django_db
def test_money_for_an_invoice_paid_meanwhile_is_account_credit_once(enabled, bob, issued, patient):
    invoice = issued("95.00")
    checkout = online.start_checkout(invoice=invoice, by=bob)
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.DEBIT, amount="95")
    body, headers = webhook(checkout=checkout, invoice=invoice, started_by=bob)
    first = online.confirm(body=body, headers=headers)
    assert online.confirm(body=body, headers=headers) == first
    assert (first.invoice, first.amount) == (None, Decimal("95.00"))
    assert actions.account_credit(patient) == Decimal("95.00")


@pytest.mark.django_db
def test_the_patient_pays_her_own_invoice_and_nobody_elses(enabled, bob, pat, patient_a, issued):
    own = actions.issue_invoice(
        invoice=actions.create_invoice(
            patient=patient_a, by=bob, lines=[{"description": "IMS", "unit_price": "95"}]
        ),
        by=bob,
    )
    assert online.start_checkout(invoice=own, by=pat).amount == Decimal("95.00")
    with pytest.raises(BillingError, match="Only front desk"):
        online.start_checkout(invoice=issued(), by=pat)


@pytest.mark.django_db
def test_online_is_never_recorded_by_hand(bob, issued):
    with pytest.raises(BillingError, match="recorded by the payment provider"):
        actions.record_payment(invoice=issued(), by=bob, method=PaymentMethod.ONLINE, amount="5")


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_record_one_payment(enabled, bob, issued):
    invoice = issued("95.00")
    checkout = online.start_checkout(invoice=invoice, by=bob)
    body, headers = webhook(checkout=checkout, invoice=invoice, started_by=bob)
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes, lock = [], threading.Lock()

    def deliver():
        try:
            barrier.wait()
            payment = online.confirm(body=body, headers=headers)
            with lock:
                outcomes.append(payment.pk)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert set(outcomes) == {Payment.objects.get(invoice=invoice).pk}, outcomes


def test_no_model_has_a_field_that_could_hold_a_card_number():
    # A payment card's number, verification code or expiry; a provincial health card is not one.
    card_like = re.compile(
        r"((?<!health_)card_?(number|no|num)|credit_?card_|\bpan\b|cvv|cvc|cvn|card_?expir|"
        r"security_code)"
    )
    found = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if card_like.search(field.name.lower())
    ]
    assert not found, found
    # The payment row itself holds the provider's or terminal's reference, never the card.
    assert {f.name for f in Payment._meta.concrete_fields} == {
        "id",
        "uuid",
        "created_at",
        "updated_at",
        "clinic",
        "patient",
        "invoice",
        "coverage",
        "method",
        "amount",
        "received_on",
        "reference",
        "refund_of",
        "recorded_by",
    }


def _own_issued_invoice(bob, patient, amount="95"):
    return actions.issue_invoice(
        invoice=actions.create_invoice(
            patient=patient, by=bob, lines=[{"description": "IMS", "unit_price": amount}]
        ),
        by=bob,
    )


@pytest.mark.django_db
def test_the_portal_offers_pay_online_for_what_is_owed_and_sends_her_to_the_provider(
    client, enabled, bob, pat, patient_a
):
    owed = _own_issued_invoice(bob, patient_a)
    paid = _own_issued_invoice(bob, patient_a, amount="40")
    actions.record_payment(invoice=paid, by=bob, method=PaymentMethod.CASH, amount="40")
    client.force_login(pat)
    page = client.get("/portal/").content.decode()
    assert page.count("Pay 95.00 online") == 1  # the paid invoice has no button
    assert f'action="/billing/portal/invoices/{owed.uuid}/pay/"' in page
    assert "on In-process test provider's secure page" in page

    response = client.post(f"/billing/portal/invoices/{owed.uuid}/pay/")
    assert response.status_code == 200
    assert re.search(
        r'href="https://checkout\.provider\.invalid/pay_\w+">Continue to In-process test provider',
        response.content.decode(),
    )
    checkout = AuditEvent.objects.get(action="billing.online.checkout")
    assert checkout.actor_username == pat.username and "95.00" in checkout.summary

    # Paid in full meanwhile (at the desk): no checkout, a message on the portal instead.
    refused = client.post(f"/billing/portal/invoices/{paid.uuid}/pay/", follow=True)
    assert refused.redirect_chain == [("/portal/", 302)]
    assert "is paid in full" in refused.content.decode()
    assert AuditEvent.objects.filter(action="billing.online.checkout").count() == 1


@pytest.mark.django_db
def test_without_a_provider_the_portal_offers_no_online_payment(client, bob, pat, patient_a):
    owed = _own_issued_invoice(bob, patient_a)
    client.force_login(pat)
    page = client.get("/portal/").content.decode()
    assert "owed 95.00" in page and "online" not in page
    refused = client.post(f"/billing/portal/invoices/{owed.uuid}/pay/", follow=True)
    assert "Online payments are not enabled at this clinic." in refused.content.decode()
