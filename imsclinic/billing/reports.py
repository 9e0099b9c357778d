"""Owner reports: daily close-out, revenue per practitioner/service/month, accounts receivable
ageing and missed-visit fees. Pure reads; each returns a Report whose rows are both the page's
table and the CSV, so the two never disagree.

Dates are the clinic's: a payment's `received_on` and an invoice's `service_date` are local days,
and an invoice's age counts from its local issue day."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from imsclinic.billing.models import (
    AGE_BUCKETS,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    age_bucket,
)
from imsclinic.scheduling.models import Status

ZERO = Decimal("0.00")


@dataclass
class Report:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    totals: list = field(default_factory=list)
    bars: list[tuple[str, Decimal]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reconciled: bool | None = None
    # A second table (the close-out's invoices) and the ageing buckets' totals.
    detail_columns: list[str] = field(default_factory=list)
    detail_rows: list[list] = field(default_factory=list)
    buckets: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class CloseoutSummary:
    """The close-out's figures: (method, label, amount) rows, their total, what was applied to
    invoices, the net change in account credit, and (invoice, applied) pairs by number."""

    methods: list[tuple[str, str, Decimal]]
    total: Decimal
    applied: Decimal
    credit: Decimal
    reconciled: bool
    invoices: list[tuple[Invoice, Decimal]]


def closeout_summary(clinic, day: datetime.date) -> CloseoutSummary:
    """Money in and out on `day`, by method, reconciled to the invoices it was applied to.

    Every payment either sits on an invoice or is account credit (held, used, or refunded), so
    the methods' total must equal the per-invoice total plus the net change in account credit,
    to the cent."""
    payments = Payment.objects.filter(clinic=clinic, received_on=day).select_related(
        "invoice__patient"
    )
    by_method: dict[str, Decimal] = defaultdict(lambda: ZERO)
    per_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    invoices = {}
    credit = ZERO
    for payment in payments:
        by_method[payment.method] += payment.amount
        if payment.invoice_id is None:
            credit += payment.amount
        else:
            per_invoice[payment.invoice_id] += payment.amount
            invoices[payment.invoice_id] = payment.invoice
    labels = dict(PaymentMethod.choices)
    total = sum(by_method.values(), start=ZERO)
    applied = sum(per_invoice.values(), start=ZERO)
    return CloseoutSummary(
        methods=[(m, labels[m], amount) for m, amount in sorted(by_method.items())],
        total=total,
        applied=applied,
        credit=credit,
        reconciled=total == applied + credit,
        invoices=[
            (invoices[pk], amount)
            for pk, amount in sorted(per_invoice.items(), key=lambda item: invoices[item[0]].number)
        ],
    )


def closeout(clinic, day: datetime.date) -> Report:
    """The close-out page and CSV (closeout_summary); the page says whether it reconciles, or
    says loudly that it does not."""
    summary = closeout_summary(clinic, day)
    report = Report(
        title=f"Daily close-out {day:%Y-%m-%d}",
        columns=["Method", "Amount"],
        rows=[[label, amount] for _m, label, amount in summary.methods],
    )
    report.totals = ["Total", summary.total]
    report.bars = [(label, amount) for _m, label, amount in summary.methods]
    report.reconciled = summary.reconciled
    report.notes = [
        f"Applied to {len(summary.invoices)} invoices: {summary.applied}",
        f"Net change in patients' account credit: {summary.credit}",
        (
            "Reconciled: the methods' total equals the invoices plus account credit."
            if report.reconciled
            else "NOT RECONCILED: the methods' total differs from the invoices plus credit."
        ),
    ]
    report.detail_columns = ["Invoice", "Patient", "Applied"]
    report.detail_rows = [
        [invoice.display_number, invoice.patient.full_name, amount]
        for invoice, amount in summary.invoices
    ]
    return report


def revenue(clinic, year: int, *, practitioner=None) -> Report:
    """Billed revenue (before tax) by month, practitioner and service, from issued invoices and
    credit notes (negative); voided invoices count for nothing."""
    lines = InvoiceLine.objects.filter(
        invoice__clinic=clinic,
        invoice__status=InvoiceStatus.ISSUED,
        invoice__service_date__year=year,
    )
    if practitioner is not None:
        lines = lines.filter(invoice__practitioner=practitioner)
    grouped = (
        lines.values(
            "invoice__service_date__month",
            "invoice__practitioner__first_name",
            "invoice__practitioner__last_name",
            "service__name",
        )
        .annotate(amount=Sum("line_total"))
        .order_by("invoice__service_date__month", "invoice__practitioner__last_name")
    )
    report = Report(
        title=f"Revenue {year}" + (f" · {practitioner.display_name}" if practitioner else ""),
        columns=["Month", "Practitioner", "Service", "Revenue"],
    )
    per_month: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in grouped:
        month = row["invoice__service_date__month"]
        name = " ".join(
            filter(
                None,
                [row["invoice__practitioner__first_name"], row["invoice__practitioner__last_name"]],
            )
        )
        amount = Decimal(row["amount"]).quantize(Decimal("0.01"))
        per_month[month] += amount
        report.rows.append(
            [
                datetime.date(year, month, 1).strftime("%B"),
                name or "(no practitioner)",
                row["service__name"] or "Other items, fees and credits",
                amount,
            ]
        )
    report.totals = ["Total", "", "", sum(per_month.values(), start=ZERO)]
    report.bars = [
        (datetime.date(year, m, 1).strftime("%B"), amount)
        for m, amount in sorted(per_month.items())
    ]
    return report


def _outstanding(clinic):
    """(invoice, balance due) for every issued invoice with money still owed."""
    invoices = list(
        Invoice.objects.filter(
            clinic=clinic, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE
        ).select_related("patient")
    )
    paid = dict(
        Payment.objects.filter(invoice__in=invoices)
        .values_list("invoice")
        .annotate(s=Sum("amount"))
        .values_list("invoice", "s")
    )
    credited = dict(
        Invoice.objects.filter(corrects__in=invoices, status=InvoiceStatus.ISSUED)
        .values_list("corrects")
        .annotate(s=Sum("total"))
        .values_list("corrects", "s")
    )
    for invoice in invoices:
        due = invoice.total + (credited.get(invoice.pk) or ZERO) - (paid.get(invoice.pk) or ZERO)
        if due > 0:
            yield invoice, Decimal(due).quantize(Decimal("0.01"))


def ageing(clinic, on: datetime.date) -> Report:
    """Accounts receivable on `on`, by age since issue: 0-30, 31-60, 61-90, 90+ days."""
    report = Report(
        title=f"Accounts receivable on {on:%Y-%m-%d}",
        columns=["Invoice", "Patient", "Issued", "Age (days)", "Bucket", "Owed"],
    )
    buckets = dict.fromkeys(AGE_BUCKETS, ZERO)
    for invoice, due in sorted(_outstanding(clinic), key=lambda pair: pair[0].issued_at):
        issued = invoice.issued_at.astimezone(clinic.tz).date()
        bucket = age_bucket(issued, on)
        buckets[bucket] += due
        report.rows.append(
            [
                invoice.display_number,
                invoice.patient.full_name,
                issued,
                (on - issued).days,
                bucket,
                due,
            ]
        )
    report.totals = ["Total", "", "", "", "", sum(buckets.values(), start=ZERO)]
    report.bars = [(f"{bucket} days", amount) for bucket, amount in buckets.items()]
    report.buckets = buckets
    return report


def missed_visit_fees(clinic, year: int) -> Report:
    """No-show and late-cancellation fees invoiced in `year`, and how much of them was paid."""
    invoices = (
        Invoice.objects.filter(
            clinic=clinic,
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.ISSUED,
            service_date__year=year,
            appointment__status__in=[Status.NO_SHOW, Status.CANCELLED],
        )
        .select_related("patient", "appointment")
        .annotate(paid=Sum("payments__amount", filter=Q(payments__isnull=False)))
        .order_by("service_date", "number")
    )
    report = Report(
        title=f"No-show and late-cancellation fees {year}",
        columns=["Date", "Invoice", "Patient", "Kind", "Fee", "Paid"],
    )
    per_kind: dict[str, Decimal] = defaultdict(lambda: ZERO)
    fee_total = paid_total = ZERO
    for invoice in invoices:
        kind = "No-show" if invoice.appointment.status == Status.NO_SHOW else "Late cancellation"
        paid = Decimal(invoice.paid or 0).quantize(Decimal("0.01"))
        per_kind[kind] += invoice.total
        fee_total += invoice.total
        paid_total += paid
        report.rows.append(
            [
                invoice.service_date,
                invoice.display_number,
                invoice.patient.full_name,
                kind,
                invoice.total,
                paid,
            ]
        )
    report.totals = ["Total", "", "", "", fee_total, paid_total]
    report.bars = sorted(per_kind.items())
    return report
