"""The patient's own invoices and receipts in the portal (a PORTAL_SECTIONS contribution)."""

from imsclinic.billing import actions, documents, online
from imsclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus


def invoices_section(request, patient):
    """Issued and void invoices (never drafts: a draft is the front desk's work in progress)."""
    invoices = list(
        Invoice.objects.filter(patient=patient)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("practitioner")
        .order_by("-service_date", "-number")[:24]
    )
    if not invoices:
        return None
    provider = online.provider()
    rows = []
    for invoice in invoices:
        due = actions.balance_due(invoice)
        payable = (
            provider is not None
            and due > 0
            and invoice.status == InvoiceStatus.ISSUED
            and invoice.kind == InvoiceKind.INVOICE
        )
        rows.append((invoice, actions.amount_paid(invoice), due, payable))
    years = documents.years_with_payments(patient)
    context = {"rows": rows, "years": years, "provider": provider.name if provider else ""}
    return {"template": "billing/portal_invoices.html", "context": context}
