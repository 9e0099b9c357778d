"""The patient's own invoices and receipts in the portal (a PORTAL_SECTIONS contribution)."""

from imsclinic.billing import actions, documents
from imsclinic.billing.models import Invoice, InvoiceStatus


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
    rows = [
        (invoice, actions.amount_paid(invoice), actions.balance_due(invoice))
        for invoice in invoices
    ]
    years = documents.years_with_payments(patient)
    return {"template": "billing/portal_invoices.html", "context": {"rows": rows, "years": years}}
