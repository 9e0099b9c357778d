"""Demo step: billing for the demo clinic (a DEMO_STEPS contribution).

Deterministic from ctx.rng. The most recent completed visits of the main clinic are invoiced at
their service's price and issued; most are paid by card, cash or e-transfer on the day, some are
left owing (so the receivables report has ageing to show). The portal patient has an extended
health coverage: their latest visit is split with the insurer, paid in part by debit, and the
insurer's claim is submitted and paid a week later. A second patient has a WCB claim on file.

Written through the billing actions (numbering, locks and audit events as in real use), so the
number of invoices is bounded to keep the demo quick at network size."""

import datetime

from imsclinic.billing import actions
from imsclinic.billing.models import Invoice, PayerKind, money
from imsclinic.scheduling.models import Appointment, Status

MAX_DEMO_INVOICES = 40
UNPAID_SHARE = 0.15
DAY_METHODS = ("debit", "debit", "credit_card", "cash", "e_transfer")


def build(ctx) -> None:
    clinic, frontdesk = ctx.clinic, ctx.users["frontdesk"]
    if Invoice.objects.filter(clinic=clinic).exists():
        return
    portal_patient = ctx.extras.get("portal_patient")
    visits = list(
        Appointment.objects.filter(clinic=clinic, status=Status.COMPLETED, service__isnull=False)
        .select_related("service", "patient", "practitioner", "clinic")
        .order_by("-starts_at", "id")[:MAX_DEMO_INVOICES]
    )
    if portal_patient is not None:
        own = (
            Appointment.objects.filter(patient=portal_patient, status=Status.COMPLETED)
            .exclude(service=None)
            .select_related("service", "patient", "practitioner", "clinic")
            .order_by("-starts_at")
            .first()
        )
        if own is not None and own not in visits:
            visits.append(own)
    coverage = _portal_coverage(ctx, portal_patient, frontdesk) if portal_patient else None
    wcb_patient = next((v.patient for v in visits if v.patient != portal_patient), None)
    if wcb_patient is not None:
        actions.add_coverage(
            patient=wcb_patient,
            by=frontdesk,
            payer_kind=PayerKind.WORKERS_COMP,
            insurer_name="WCB Alberta",
            claim_number=f"W{ctx.rng.randrange(10**6, 10**7)}",
        )
    for visit in sorted(visits, key=lambda v: v.starts_at):
        invoice = actions.invoice_appointment(appointment=visit, by=frontdesk)
        day = invoice.service_date
        if visit.patient == portal_patient and coverage is not None:
            _split_and_claim(invoice, coverage, frontdesk, day)
            continue
        invoice = actions.issue_invoice(invoice=invoice, by=frontdesk)
        if ctx.rng.random() < UNPAID_SHARE:
            continue
        actions.record_payment(
            invoice=invoice,
            by=frontdesk,
            method=ctx.rng.choice(DAY_METHODS),
            amount=invoice.total,
            received_on=day,
            reference=f"T{ctx.rng.randrange(10**5, 10**6)}",
        )


def _portal_coverage(ctx, patient, frontdesk):
    return actions.add_coverage(
        patient=patient,
        by=frontdesk,
        payer_kind=PayerKind.EXTENDED_HEALTH,
        insurer_name="Sun Life",
        plan_number=f"{ctx.rng.randrange(10**5, 10**6)}",
        member_id=f"{ctx.rng.randrange(10**8, 10**9)}",
    )


def _split_and_claim(invoice, coverage, frontdesk, day: datetime.date) -> None:
    """80 % to the insurer (a common extended-health split), the rest by debit on the day."""
    insurer_share = money(invoice.total * 8 / 10)
    actions.split_with_payer(invoice=invoice, coverage=coverage, amount=insurer_share, by=frontdesk)
    invoice = actions.issue_invoice(invoice=invoice, by=frontdesk)
    actions.record_payment(
        invoice=invoice,
        by=frontdesk,
        method="debit",
        amount=invoice.patient_portion,
        received_on=day,
        reference="DEMO-TERMINAL",
    )
    claim = actions.submit_claim(invoice=invoice, coverage=coverage, by=frontdesk, submitted_on=day)
    paid_on = min(day + datetime.timedelta(days=7), invoice.clinic.today())
    actions.decide_claim(claim=claim, by=frontdesk, status="paid", on=paid_on)
