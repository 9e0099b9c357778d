"""Billing pages: invoice a completed visit from its appointment page, work the invoice (lines,
split, issue, payments, refunds, credit notes, void, claims) with clear errors that save nothing,
the patient's billing page, and the patient's own invoices in the portal."""

import datetime
from decimal import Decimal

import pytest

from imsclinic.billing import actions
from imsclinic.billing.models import ClaimStatus, Coverage, Invoice, InvoiceStatus, Payment
from imsclinic.scheduling.models import Status
from tests.conftest import login
from tests.factories import AppointmentFactory, CoverageFactory

pytestmark = pytest.mark.django_db


def step(client, invoice, name, **fields):
    data = {f"{name}-{key}": value for key, value in fields.items()}
    return client.post(f"/billing/invoices/{invoice.uuid}/{name}/", data)


@pytest.fixture
def draft(bob, completed_visit):
    return actions.invoice_appointment(appointment=completed_visit, by=bob)


def test_front_desk_invoices_a_completed_visit_from_its_appointment_page(
    client, bob, completed_visit
):
    login(client, bob)
    page = client.get(f"/schedule/appointments/{completed_visit.uuid}/")
    assert b"Invoice this visit" in page.content
    response = client.post(f"/billing/appointments/{completed_visit.uuid}/invoice/")
    invoice = Invoice.objects.get(appointment=completed_visit)
    assert response.status_code == 302
    assert response["Location"] == f"/billing/invoices/{invoice.uuid}/"
    assert (invoice.status, invoice.total) == (InvoiceStatus.DRAFT, Decimal("95.00"))
    # A second click opens the same invoice rather than failing or making another.
    again = client.post(f"/billing/appointments/{completed_visit.uuid}/invoice/")
    assert again["Location"] == f"/billing/invoices/{invoice.uuid}/"
    assert Invoice.objects.filter(appointment=completed_visit).count() == 1


def test_a_practitioner_sees_no_invoice_button_and_cannot_invoice(client, alice, completed_visit):
    login(client, alice)
    page = client.get(f"/schedule/appointments/{completed_visit.uuid}/")
    assert b"Invoice this visit" not in page.content
    assert client.post(f"/billing/appointments/{completed_visit.uuid}/invoice/").status_code == 403
    assert not Invoice.objects.exists()


def test_a_visit_not_yet_completed_is_refused_with_the_reason(client, bob, completed_visit):
    booked = AppointmentFactory(
        clinic=completed_visit.clinic,
        patient=completed_visit.patient,
        service=completed_visit.service,
        status=Status.BOOKED,
    )
    login(client, bob)
    response = client.post(f"/billing/appointments/{booked.uuid}/invoice/", follow=True)
    assert "Only a completed visit is invoiced" in response.content.decode()
    assert not Invoice.objects.exists()


def test_split_issue_and_pay_part_insurer_part_debit(client, bob, draft, patient):
    coverage = CoverageFactory(patient=patient, insurer_name="Blue Cross")
    login(client, bob)
    assert step(client, draft, "split", coverage=coverage.uuid, amount="60.00").status_code == 302
    assert client.post(f"/billing/invoices/{draft.uuid}/issue/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED and draft.patient_portion == Decimal("35.00")

    paid = step(
        client, draft, "pay", method="insurer", amount="60.00", coverage=coverage.uuid, reference=""
    )
    assert paid.status_code == 302
    debit = step(client, draft, "pay", method="debit", amount="35.00", reference="TRM 4471")
    assert debit.status_code == 302
    draft.refresh_from_db()
    assert actions.balance_due(draft) == Decimal("0.00")
    page = client.get(f"/billing/invoices/{draft.uuid}/").content.decode()
    assert "Blue Cross" in page and "Debit card" in page and 'id="balance-due"' in page


def test_a_card_number_is_refused_on_the_form_and_nothing_is_saved(client, bob, issued):
    invoice = issued()
    login(client, bob)
    response = step(
        client, invoice, "pay", method="credit_card", amount="95", reference="4111111111111111"
    )
    assert response.status_code == 400
    assert "Never record a card number" in response.content.decode()
    assert not Payment.objects.exists()


def test_bad_amounts_get_the_forms_message_not_a_500(client, bob, issued):
    invoice = issued()
    login(client, bob)
    response = step(client, invoice, "pay", method="cash", amount="ninety")
    assert response.status_code == 400
    assert "Enter a number" in response.content.decode()
    too_much = step(client, invoice, "credit", amount="500", reason="Wrong service")
    assert too_much.status_code == 400
    assert "The credit cannot exceed" in too_much.content.decode()
    assert not Payment.objects.exists()
    assert Invoice.objects.count() == 1


def test_void_needs_a_reason_and_an_issued_invoice_cannot_take_lines(client, bob, issued):
    invoice = issued()
    login(client, bob)
    assert step(client, invoice, "void", reason="  ").status_code == 400
    refused = step(
        client, invoice, "line", description="Tape", quantity=1, unit_price="5", tax_code="taxable"
    )
    assert refused.status_code == 400
    assert "cannot change" in refused.content.decode()
    assert step(client, invoice, "void", reason="Entered twice").status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason) == (InvoiceStatus.VOID, "Entered twice")


def test_lines_refunds_and_credit_notes_from_the_page(client, bob, draft):
    login(client, bob)
    added = step(
        client, draft, "line", description="Kinesio tape", quantity=2, unit_price="7.50",
        discount="", tax_code="taxable",
    )  # fmt: skip
    assert added.status_code == 302
    draft.refresh_from_db()
    assert draft.subtotal == Decimal("110.00") and draft.tax_total == Decimal("0.75")  # 5% GST
    client.post(f"/billing/invoices/{draft.uuid}/issue/")
    draft.refresh_from_db()
    step(client, draft, "pay", method="cash", amount="110.75")
    payment = Payment.objects.get()
    refund = step(client, draft, "refund", payment=payment.uuid, amount="10", reason="Tape unused")
    assert refund.status_code == 302
    assert actions.amount_paid(draft) == Decimal("100.75")
    assert step(client, draft, "credit", amount="15.75", reason="Tape returned").status_code == 302
    draft.refresh_from_db()
    # 110.75 - 15.75 credited = 95.00 owed; 100.75 kept: the clinic owes the patient 5.75.
    assert actions.balance_due(draft) == Decimal("-5.75")


def test_claims_are_submitted_and_decided_from_the_page(client, bob, draft, patient):
    coverage = CoverageFactory(patient=patient)
    actions.split_with_payer(invoice=draft, coverage=coverage, amount="80", by=bob)
    actions.issue_invoice(invoice=draft, by=bob)
    login(client, bob)
    assert step(client, draft, "claim", coverage=coverage.uuid, amount="").status_code == 302
    claim = draft.claims.get()
    assert claim.amount_claimed == Decimal("80.00")
    denied = step(client, draft, "decide", claim=claim.uuid, status="denied", reason="")
    assert denied.status_code == 400
    assert "reason for the denial" in denied.content.decode()
    step(client, draft, "decide", claim=claim.uuid, status="denied", reason="Plan maximum reached")
    step(client, draft, "decide", claim=claim.uuid, status="resubmitted")
    step(client, draft, "decide", claim=claim.uuid, status="paid", amount_paid="")
    claim.refresh_from_db()
    draft.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert actions.balance_due(draft) == Decimal("15.00")


def test_patient_billing_page_balance_credit_and_coverage(client, bob, issued, patient):
    issued("95.00")
    login(client, bob)
    bad = client.post(
        f"/billing/patients/{patient.uuid}/coverage/",
        {"payer_kind": "workers_comp", "insurer_name": "WCB Alberta", "relationship": "self"},
    )
    assert bad.status_code == 400
    assert "needs its claim number" in bad.content.decode()
    assert not Coverage.objects.exists()
    good = client.post(
        f"/billing/patients/{patient.uuid}/coverage/",
        {
            "payer_kind": "workers_comp",
            "insurer_name": "WCB Alberta",
            "relationship": "self",
            "claim_number": "C-778812",
        },
    )
    assert good.status_code == 302
    page = client.get(f"/billing/patients/{patient.uuid}/").content.decode()
    assert "WCB Alberta" in page and "C-778812" in page
    assert '<dd id="balance">95.00</dd>' in page


def test_the_billing_tab_shows_to_billers_only(client, bob, alice, patient):
    login(client, bob)
    assert (
        f"/billing/patients/{patient.uuid}/"
        in client.get(f"/patients/{patient.uuid}/").content.decode()
    )
    login(client, alice)
    assert (
        f"/billing/patients/{patient.uuid}/"
        not in client.get(f"/patients/{patient.uuid}/").content.decode()
    )


def test_billing_pages_never_show_clinical_notes(client, bob, completed_visit):
    completed_visit.notes = "Deep needling at L5 paraspinals; patient anxious"
    completed_visit.save(update_fields=["notes"])
    invoice = actions.invoice_appointment(appointment=completed_visit, by=bob)
    login(client, bob)
    for url in (f"/billing/invoices/{invoice.uuid}/", f"/billing/patients/{invoice.patient.uuid}/"):
        assert "paraspinals" not in client.get(url).content.decode()


def test_the_portal_shows_the_patients_issued_invoices_only(client, bob, pat, patient_a):
    def make(amount):
        return actions.create_invoice(
            patient=patient_a, by=bob, lines=[{"description": "IMS", "unit_price": amount}]
        )

    issued_invoice = actions.issue_invoice(invoice=make("95.00"), by=bob)
    make("41.00")  # a draft stays the front desk's work in progress
    actions.record_payment(invoice=issued_invoice, by=bob, method="debit", amount="95.00")
    login(client, pat)
    page = client.get("/portal/").content.decode()
    assert issued_invoice.display_number in page
    assert "41.00" not in page
    assert "Your invoices and receipts" in page


def test_service_date_is_the_visits_local_day(bob, completed_visit):
    invoice = actions.invoice_appointment(appointment=completed_visit, by=bob)
    assert invoice.service_date == datetime.date(2026, 11, 2)
