"""What has been paid and credited on many invoices at once, for exports that map each invoice
(the FHIR Invoice status and amounts): two grouped queries per batch instead of two per invoice.

Same arithmetic as actions.amount_paid / credits_applied / balance_due, which the FHIR tests
compare against invoice by invoice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from imsclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, money


@dataclass(frozen=True)
class Settlement:
    paid: Decimal  # payments applied, net of refunds
    credited: Decimal  # issued credit notes against it (positive)

    def balance_due(self, invoice) -> Decimal:
        """What is still owed: 0 for drafts, voids and credit notes (as actions.balance_due)."""
        if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
            return Decimal("0.00")
        return invoice.total - self.credited - self.paid


NOTHING = Settlement(paid=Decimal("0.00"), credited=Decimal("0.00"))


def settlements(invoice_ids) -> dict[int, Settlement]:
    """invoice pk -> Settlement, for the invoices of `invoice_ids` that have any."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    paid = dict(
        Payment.objects.filter(invoice_id__in=ids)
        .values_list("invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("invoice_id", "s")
    )
    credited = dict(
        Invoice.objects.filter(
            corrects_id__in=ids, kind=InvoiceKind.CREDIT_NOTE, status=InvoiceStatus.ISSUED
        )
        .values_list("corrects_id")
        .annotate(s=Sum("total"))
        .values_list("corrects_id", "s")
    )
    # Rounded: SQLite sums decimals as floats. Credit note totals are negative.
    return {
        pk: Settlement(paid=money(paid.get(pk) or 0), credited=abs(money(credited.get(pk) or 0)))
        for pk in set(paid) | set(credited)
    }
