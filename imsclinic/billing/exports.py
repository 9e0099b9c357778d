"""The accountant's CSV: every invoice, credit note, payment and refund of a clinic over a date
range, in one download, with totals that reconcile to the daily close-outs to the cent.

Format (docs/billing.md, "Accountant export"): UTF-8 with a byte-order mark so that Excel reads
accented names right, comma-separated with CRLF line ends (the csv module's "excel" dialect),
ISO dates (YYYY-MM-DD), money as plain decimals with two places and a point ("1234.50", no
thousands separator, refunds negative) next to an ISO 4217 currency column. Every cell passes
the formula guard of core/downloads.py.

What it holds: money, numbers, dates, methods, insurers and terminal references. No clinical
data and no patient names: an invoice number leads back to the clinic's records. Refund reasons
(free text) are left out. Void invoices are listed with their status and count in no total.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from io import StringIO

from django.db import transaction

from imsclinic.audit.services import record
from imsclinic.billing.actions import BillingError
from imsclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from imsclinic.core.downloads import csv_writer

MAX_DAYS = 366
ZERO = Decimal("0.00")
COLUMNS = [
    "Record",
    "Number",
    "Date",
    "Service date",
    "Invoice",
    "Status",
    "Method",
    "Payer",
    "Subtotal",
    "Tax",
    "Total",
    "Amount",
    "Currency",
    "Reference",
]
BOM = "\ufeff"


def _bounds(clinic, start: datetime.date, end: datetime.date):
    tz = clinic.tz
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return first, after


def accountant_rows(clinic, start: datetime.date, end: datetime.date) -> list[list]:
    """The export's rows (without the header): invoices and credit notes issued in the range
    (local issue day), then payments and refunds received in it, then the totals."""
    if end < start:
        raise BillingError("The end date comes before the start date.", field="end")
    if (end - start).days >= MAX_DAYS:
        raise BillingError(f"Export at most {MAX_DAYS} days at a time.", field="end")
    currency = clinic.policy("currency", "CAD")
    first, after = _bounds(clinic, start, end)
    rows: list[list] = []
    invoiced = tax = ZERO
    invoices = (
        Invoice.objects.filter(clinic=clinic, issued_at__gte=first, issued_at__lt=after)
        .select_related("corrects")
        .order_by("number")
    )
    for invoice in invoices:
        counts = invoice.status == InvoiceStatus.ISSUED
        if counts:
            invoiced += invoice.total
            tax += invoice.tax_total
        rows.append(
            [
                "Credit note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "Invoice",
                invoice.display_number,
                invoice.issued_at.astimezone(clinic.tz).date(),
                invoice.service_date,
                invoice.corrects.display_number if invoice.corrects_id else "",
                invoice.get_status_display(),
                "",
                "",
                invoice.subtotal,
                invoice.tax_total,
                invoice.total,
                "",
                invoice.currency,
                "",
            ]
        )
    by_method: dict[str, Decimal] = defaultdict(lambda: ZERO)
    payments = (
        Payment.objects.filter(clinic=clinic, received_on__range=(start, end))
        .select_related("invoice", "coverage")
        .order_by("received_on", "created_at", "id")
    )
    labels = dict(PaymentMethod.choices)
    for payment in payments:
        by_method[payment.method] += payment.amount
        if payment.refund_of_id:
            kind = "Refund"
        elif payment.invoice_id is None:
            kind = "Account credit"
        else:
            kind = "Payment"
        rows.append(
            [
                kind,
                "",
                payment.received_on,
                "",
                payment.invoice.display_number if payment.invoice_id else "",
                "",
                labels[payment.method],
                payment.coverage.insurer_name if payment.coverage_id else "Patient",
                "",
                "",
                "",
                payment.amount,
                currency,
                "" if payment.refund_of_id else payment.reference,
            ]
        )
    received = sum(by_method.values(), start=ZERO)

    def total(label, *, tax_="", total_="", amount=""):
        return [label, "", end, "", "", "", "", "", "", tax_, total_, amount, currency, ""]

    rows.append(
        total("Total invoiced (issued invoices less credit notes)", tax_=tax, total_=invoiced)
    )
    for method, amount in sorted(by_method.items()):
        rows.append(total(f"Total received: {labels[method]}", amount=amount))
    rows.append(total("Total received", amount=received))
    return rows


def accountant_csv(*, clinic, start: datetime.date, end: datetime.date, by) -> tuple[str, str]:
    """(filename, CSV text with its BOM); the download is an audit event of the clinic."""
    rows = accountant_rows(clinic, start, end)
    buffer = StringIO()
    buffer.write(BOM)
    writer = csv_writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    with transaction.atomic():  # the audit event alone, after the file is made
        record(
            by=by,
            action="billing.export.accountant",
            clinic=clinic,
            summary=f"Accountant export {start:%Y-%m-%d} to {end:%Y-%m-%d}",
            details={"start": start.isoformat(), "end": end.isoformat(), "rows": len(rows)},
        )
    return f"{clinic.slug}-billing-{start:%Y%m%d}-{end:%Y%m%d}.csv", buffer.getvalue()


def _cell(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
