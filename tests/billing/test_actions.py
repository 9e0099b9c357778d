"""Billing actions: invoices from visits, numbering, tax, credit notes, split bills, payments,
refunds, account credit and claims. Each action checks the actor and records one audit event."""

import datetime
from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.billing import actions
from imsclinic.billing.actions import BillingError
from imsclinic.billing.models import (
    ClaimStatus,
    FeeSchedule,
    Invoice,
    InvoiceStatus,
    PayerKind,
    Payment,
    PaymentMethod,
)
from imsclinic.scheduling.models import Status
from tests.factories import AppointmentFactory, CoverageFactory

pytestmark = pytest.mark.django_db


def test_a_completed_visit_is_invoiced_at_its_service_price(bob, completed_visit):
    invoice = actions.invoice_appointment(appointment=completed_visit, by=bob)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.total == Decimal("95.00")
    assert invoice.practitioner == completed_visit.practitioner
    assert invoice.service_date == datetime.date(2026, 11, 2)  # 09:00 in Calgary
    line = invoice.lines.get()
    assert (line.description, line.tax_code, line.tax_amount) == (
        "IMS treatment",
        "exempt",
        Decimal("0.00"),
    )


def test_a_visit_is_invoiced_once_and_only_when_completed(bob, completed_visit):
    actions.invoice_appointment(appointment=completed_visit, by=bob)
    with pytest.raises(BillingError, match="already invoiced"):
        actions.invoice_appointment(appointment=completed_visit, by=bob)
    booked = AppointmentFactory(
        clinic=completed_visit.clinic,
        patient=completed_visit.patient,
        service=completed_visit.service,
        status=Status.BOOKED,
    )
    with pytest.raises(BillingError, match="Only a completed visit"):
        actions.invoice_appointment(appointment=booked, by=bob)


def test_a_payer_fee_schedule_overrides_the_list_price(bob, completed_visit, treatment):
    FeeSchedule.objects.create(
        clinic=treatment.clinic, service=treatment, payer_kind=PayerKind.WORKERS_COMP, price="71.40"
    )
    invoice = actions.invoice_appointment(
        appointment=completed_visit, by=bob, payer_kind=PayerKind.WORKERS_COMP
    )
    assert invoice.total == Decimal("71.40")


@pytest.mark.parametrize("who", ["alice", "carol", "pat"])
def test_only_front_desk_and_admins_of_the_clinic_bill(request, who, completed_visit):
    user = request.getfixturevalue(who)
    with pytest.raises(BillingError, match="Only front desk staff and clinic admins"):
        actions.invoice_appointment(appointment=completed_visit, by=user)
    assert not Invoice.objects.exists()


def test_olivia_the_owner_may_bill(olivia, completed_visit):
    assert actions.invoice_appointment(appointment=completed_visit, by=olivia).total == 95


def test_issuing_numbers_invoices_per_clinic_without_gaps(bob, issued, patient, clinic_b):
    numbers = [issued().number for _ in range(3)]
    assert numbers == [1, 2, 3]
    # A refused issue (no lines) takes no number.
    empty = actions.create_invoice(patient=patient, by=bob)
    with pytest.raises(BillingError, match="at least one line"):
        actions.issue_invoice(invoice=empty, by=bob)
    assert issued().number == 4
    assert AuditEvent.objects.filter(action="billing.invoice.issue").count() == 4


def test_products_are_taxed_at_the_clinic_provinces_rate_and_services_are_not(bob, patient):
    invoice = actions.create_invoice(
        patient=patient,
        by=bob,
        lines=[
            {"description": "IMS treatment", "unit_price": "95.00"},
            {"description": "Kinesiology tape", "unit_price": "12.99", "tax_code": "taxable"},
            {
                "description": "Lumbar support",
                "unit_price": "40.00",
                "quantity": 2,
                "discount": "10.00",
                "tax_code": "taxable",
            },
        ],
    )
    invoice = actions.issue_invoice(invoice=invoice, by=bob)
    # Alberta: GST 5 % on the products only; tax rounded per line, as printed.
    assert invoice.subtotal == Decimal("177.99")
    assert [line.tax_amount for line in invoice.lines.all()] == [
        Decimal("0.00"),
        Decimal("0.65"),
        Decimal("3.50"),
    ]
    assert invoice.tax_total == Decimal("4.15")
    assert invoice.total == Decimal("182.14")


def test_a_discount_above_the_line_is_refused(bob, patient):
    with pytest.raises(BillingError, match="cannot exceed the line"):
        actions.create_invoice(
            patient=patient,
            by=bob,
            lines=[{"description": "IMS", "unit_price": "95", "discount": "100"}],
        )
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("amount", ["abc", "-5", "NaN", "Infinity", "1e9"])
def test_nonsense_amounts_are_refused_with_a_clear_message(bob, patient, amount):
    with pytest.raises(BillingError) as refused:
        actions.create_invoice(
            patient=patient, by=bob, lines=[{"description": "IMS", "unit_price": amount}]
        )
    assert refused.value.field == "unit_price"
    assert not Invoice.objects.exists()


def test_an_issued_invoice_cannot_change_through_actions(bob, issued):
    invoice = issued()
    with pytest.raises(BillingError, match="issued and cannot change"):
        actions.add_line(invoice=invoice, by=bob, description="Extra", unit_price="5")


def test_a_credit_note_corrects_an_issued_invoice(bob, issued):
    invoice = issued("120.00")
    note = actions.issue_credit_note(invoice=invoice, by=bob, amount="20.00", reason="Discount")
    assert (note.kind, note.number, note.total) == ("credit_note", 2, Decimal("-20.00"))
    assert note.corrects == invoice
    assert actions.balance_due(invoice) == Decimal("100.00")
    with pytest.raises(BillingError, match="cannot exceed what remains"):
        actions.issue_credit_note(invoice=invoice, by=bob, amount="100.01", reason="Too much")


def test_voiding_needs_a_reason_and_no_payments(bob, issued):
    invoice = issued()
    with pytest.raises(BillingError, match="Say why"):
        actions.void_invoice(invoice=invoice, by=bob, reason=" ")
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.CASH, amount="10")
    with pytest.raises(BillingError, match="Refund them before voiding"):
        actions.void_invoice(invoice=invoice, by=bob, reason="Wrong patient")
    other = issued()
    voided = actions.void_invoice(invoice=other, by=bob, reason="Wrong patient")
    assert voided.status == InvoiceStatus.VOID and voided.void_reason == "Wrong patient"
    assert actions.balance_due(voided) == 0


def test_partial_payments_then_an_overpayment_becomes_account_credit(bob, issued, patient):
    invoice = issued("95.00")
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.DEBIT, amount="50")
    assert actions.balance_due(invoice) == Decimal("45.00")
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.CASH, amount="60")
    assert actions.balance_due(invoice) == Decimal("0.00")
    assert actions.account_credit(patient) == Decimal("15.00")
    with pytest.raises(BillingError, match="paid in full"):
        actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.CASH, amount="1")
    # The credit pays part of the next invoice.
    second = issued("95.00")
    actions.record_payment(invoice=second, by=bob, method=PaymentMethod.ACCOUNT_CREDIT, amount="15")
    assert actions.account_credit(patient) == Decimal("0.00")
    assert actions.balance_due(second) == Decimal("80.00")
    with pytest.raises(BillingError, match="account credit is 0.00"):
        actions.record_payment(
            invoice=second, by=bob, method=PaymentMethod.ACCOUNT_CREDIT, amount="1"
        )


def test_card_numbers_are_never_recorded(bob, issued):
    with pytest.raises(BillingError, match="Never record a card number"):
        actions.record_payment(
            invoice=issued(),
            by=bob,
            method=PaymentMethod.CREDIT_CARD,
            amount="95",
            reference="4111 1111 1111 1111",
        )
    assert not Payment.objects.exists()


def test_refunds_are_negative_payments_up_to_what_was_paid(bob, issued):
    invoice = issued("95.00")
    payment = actions.record_payment(
        invoice=invoice, by=bob, method=PaymentMethod.DEBIT, amount="95"
    )
    with pytest.raises(BillingError, match="Say why"):
        actions.refund_payment(payment=payment, by=bob, amount="10", reason="")
    refund = actions.refund_payment(payment=payment, by=bob, amount="30", reason="Session cut")
    assert refund.amount == Decimal("-30.00") and refund.method == "debit"
    assert actions.balance_due(invoice) == Decimal("30.00")
    with pytest.raises(BillingError, match="At most 65.00"):
        actions.refund_payment(payment=payment, by=bob, amount="65.01", reason="Again")


def test_a_split_bill_insurer_share_then_patient_debit(bob, patient):
    coverage = CoverageFactory(patient=patient)
    invoice = actions.create_invoice(
        patient=patient, by=bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
    )
    actions.split_with_payer(invoice=invoice, coverage=coverage, amount="76.00", by=bob)
    invoice = actions.issue_invoice(invoice=invoice, by=bob)
    assert invoice.patient_portion == Decimal("19.00")
    claim = actions.submit_claim(invoice=invoice, coverage=coverage, by=bob)
    assert claim.amount_claimed == Decimal("76.00")
    actions.record_payment(invoice=invoice, by=bob, method=PaymentMethod.DEBIT, amount="19")
    denied = actions.decide_claim(claim=claim, by=bob, status=ClaimStatus.DENIED, reason="No Rx")
    assert denied.denial_reason == "No Rx"
    actions.decide_claim(claim=claim, by=bob, status=ClaimStatus.RESUBMITTED)
    paid = actions.decide_claim(claim=claim, by=bob, status=ClaimStatus.PAID)
    assert paid.amount_paid == Decimal("76.00")
    assert actions.balance_due(invoice) == Decimal("0.00")
    insurer = Payment.objects.get(method=PaymentMethod.INSURER)
    assert insurer.coverage == coverage and insurer.amount == Decimal("76.00")
    assert AuditEvent.objects.filter(action="billing.claim.paid").count() == 1


def test_shares_cannot_exceed_the_invoice_or_belong_to_another_patient(bob, patient, patient_a):
    invoice = actions.create_invoice(
        patient=patient, by=bob, lines=[{"description": "IMS", "unit_price": "95"}]
    )
    with pytest.raises(BillingError, match="cannot exceed the invoice total"):
        actions.split_with_payer(
            invoice=invoice, coverage=CoverageFactory(patient=patient), amount="95.01", by=bob
        )
    with pytest.raises(BillingError, match="another patient"):
        actions.split_with_payer(
            invoice=invoice, coverage=CoverageFactory(patient=patient_a), amount="10", by=bob
        )


def test_wcb_coverage_needs_a_claim_number(bob, patient):
    with pytest.raises(BillingError, match="claim number"):
        actions.add_coverage(
            patient=patient, by=bob, payer_kind=PayerKind.WORKERS_COMP, insurer_name="WCB Alberta"
        )
    coverage = actions.add_coverage(
        patient=patient,
        by=bob,
        payer_kind=PayerKind.WORKERS_COMP,
        insurer_name="WCB Alberta",
        claim_number="C-0042117",
    )
    assert str(coverage) == "WCB Alberta C-0042117"


def test_no_show_fee_follows_the_clinic_policy(bob, clinic_a, patient, treatment):
    missed = AppointmentFactory(
        clinic=clinic_a, patient=patient, service=treatment, status=Status.NO_SHOW
    )
    with pytest.raises(BillingError, match="no no-show fee"):
        actions.invoice_missed_appointment(appointment=missed, by=bob)
    clinic_a.policies = {"no_show_fee": "40.00"}
    clinic_a.save()
    missed.clinic.refresh_from_db()
    invoice = actions.invoice_missed_appointment(appointment=missed, by=bob)
    assert (invoice.lines.get().description, invoice.total) == ("No-show fee", Decimal("40.00"))
