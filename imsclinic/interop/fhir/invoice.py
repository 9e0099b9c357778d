"""Invoice (an invoice or a credit note) and ChargeItem (one per invoice line).

Statuses: a draft is `draft`; an issued invoice is `issued` while money is owed and `balanced`
once paid or credited in full; a void invoice is `cancelled` with the void reason as
`cancelledReason`. A credit note is an Invoice of type `credit-note` (local invoice-kind
system) with negative amounts, `balanced` once issued (it settles itself against the invoice
it names in the `corrects` extension).

Amounts: each line's price components are `base` (quantity x unit price, `factor` = quantity),
`discount` (negative) and `tax` (the tax code as `code`, the rate as `factor`, exempt lines
with 0), so the components of a line add up to its total with tax. `totalNet` is the subtotal,
`totalGross` the total. Informational `totalPriceComponent`s (local invoice-amount system) give
what each payer's share is (with a `coverage` extension naming the Coverage), the patient's
portion, credit notes, payments received and the balance due (these last four on issued
invoices only).

ChargeItem ids are "<invoice uuid>-l<n>" (n = the line's place on the invoice, from 0); their
status is `billable` on a draft, `billed` once issued and `aborted` on a void invoice.
"""

from django.conf import settings

from imsclinic.billing.totals import NOTHING
from imsclinic.interop.fhir.common import (
    CS_INVOICE_AMOUNT,
    CS_INVOICE_KIND,
    CS_SERVICE,
    CS_TAX_CODE,
    EXT_CORRECTS,
    EXT_COVERAGE,
    build,
    coding,
    instant,
    money,
    ref,
)
from imsclinic.interop.fhir.organization import payer_name

KIND = {
    "invoice": coding(CS_INVOICE_KIND, "invoice", "Invoice"),
    "credit_note": coding(CS_INVOICE_KIND, "credit-note", "Credit note"),
}
TAX_CODE = {
    "exempt": coding(CS_TAX_CODE, "exempt", "Tax exempt (health care service)"),
    "taxable": coding(CS_TAX_CODE, "taxable", "Taxable (product)"),
}
CHARGE_STATUS = {"draft": "billable", "issued": "billed", "void": "aborted"}


def invoice_number_system(clinic) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/fhir/sid/invoice-number/{clinic.uuid}"


def charge_item_id(invoice, index: int) -> str:
    return f"{invoice.uuid}-l{index}"


def invoice_status(invoice, settlement=NOTHING) -> str:
    if invoice.status == "draft":
        return "draft"
    if invoice.status == "void":
        return "cancelled"
    if invoice.kind == "credit_note":
        return "balanced"
    return "balanced" if settlement.balance_due(invoice) <= 0 else "issued"


def _amount_component(code: str, display: str, value, currency: str, coverage=None) -> dict:
    component = {
        "type": "informational",
        "code": {"coding": [coding(CS_INVOICE_AMOUNT, code, display)]},
        "amount": money(value, currency),
    }
    if coverage is not None:
        component["extension"] = [
            {"url": EXT_COVERAGE, "valueReference": ref("Coverage", coverage.uuid)}
        ]
    return component


def _line_item(invoice, index: int, line) -> dict:
    currency = invoice.currency
    base = line.line_total + line.discount  # quantity x unit price (signed like the line)
    return {
        "sequence": index + 1,
        "chargeItemReference": ref("ChargeItem", charge_item_id(invoice, index), line.description),
        "priceComponent": [
            {"type": "base", "factor": float(line.quantity), "amount": money(base, currency)},
            {"type": "discount", "amount": money(-line.discount, currency)}
            if line.discount
            else None,
            {
                "type": "tax",
                "code": {"coding": [TAX_CODE[line.tax_code]]},
                "factor": float(line.tax_rate / 100) or 0.0,
                "amount": money(line.tax_amount, currency),
            },
        ],
    }


def invoice_resource(invoice, lines, shares, settlement=NOTHING):
    """`lines` and `shares` are the invoice's lines (in order) and payer shares with their
    coverage; `settlement` what has been paid and credited (billing.totals)."""
    currency = invoice.currency
    totals = [
        _amount_component(
            "payer-share",
            f"Billed to {payer_name(share.coverage)}",
            share.amount,
            currency,
            share.coverage,
        )
        for share in shares
    ]
    if invoice.kind == "invoice" and invoice.status == "issued":
        totals += [
            _amount_component(
                "patient-portion", "Patient's portion", invoice.patient_portion, currency
            ),
            _amount_component("credited", "Credit notes", settlement.credited, currency),
            _amount_component("paid", "Payments received", settlement.paid, currency),
            _amount_component(
                "balance-due", "Balance due", settlement.balance_due(invoice), currency
            ),
        ]
    extension = []
    if invoice.corrects_id:
        extension.append(
            {"url": EXT_CORRECTS, "valueReference": ref("Invoice", invoice.corrects.uuid)}
        )
    practitioner = invoice.practitioner
    return build(
        "Invoice",
        {
            "id": str(invoice.uuid),
            "extension": extension,
            "identifier": [
                {"system": invoice_number_system(invoice.clinic), "value": invoice.display_number}
            ]
            if invoice.number
            else [],
            "status": invoice_status(invoice, settlement),
            "cancelledReason": invoice.void_reason if invoice.status == "void" else None,
            "type": {"coding": [KIND[invoice.kind]]},
            "subject": ref("Patient", invoice.patient.uuid),
            "recipient": ref("Patient", invoice.patient.uuid),
            "date": instant(invoice.issued_at),
            "participant": [
                {
                    "role": {"text": "Practitioner who gave the service"},
                    "actor": ref("Practitioner", practitioner.uuid, practitioner.display_name),
                }
            ]
            if practitioner is not None
            else [],
            "issuer": ref("Organization", invoice.clinic.uuid, invoice.clinic.name),
            "lineItem": [_line_item(invoice, i, line) for i, line in enumerate(lines)],
            "totalPriceComponent": totals,
            "totalNet": money(invoice.subtotal, currency),
            "totalGross": money(invoice.total, currency),
            "note": [{"text": invoice.note}] if invoice.note else [],
        },
    )


def charge_items(invoice, lines) -> list:
    """One ChargeItem per line: what was charged, for whom, when and by whom."""
    items = []
    for index, line in enumerate(lines):
        code = (
            coding(CS_SERVICE, str(line.service.uuid), line.service.name) if line.service else None
        )
        practitioner = invoice.practitioner
        items.append(
            build(
                "ChargeItem",
                {
                    "id": charge_item_id(invoice, index),
                    "status": CHARGE_STATUS[invoice.status],
                    "code": {"coding": [code], "text": line.description},
                    "subject": ref("Patient", invoice.patient.uuid),
                    "occurrenceDateTime": invoice.service_date.isoformat(),
                    "performer": [
                        {"actor": ref("Practitioner", practitioner.uuid, practitioner.display_name)}
                    ]
                    if practitioner is not None
                    else [],
                    "performingOrganization": ref("Organization", invoice.clinic.uuid),
                    "quantity": {"value": float(line.quantity)},
                    # R4: "total price of the charge overriding the list price": the line's
                    # total after discount, before tax (the Invoice carries the breakdown).
                    "priceOverride": money(line.line_total, invoice.currency),
                    "enteredDate": instant(invoice.created_at),
                },
            )
        )
    return items
