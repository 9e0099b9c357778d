"""Online payments behind one small interface, selected by a setting. None is enabled by default.

IMSCLINIC_PAYMENT_PROVIDER names a `PaymentProvider` subclass (a dotted path, like the SMS
backend in scheduling/sms.py); empty, the default, means no online payments at all. A clinic that
wants Stripe, Moneris or Square installs a small package of its own holding that class (it wraps
the provider's SDK) and names it in the setting: nothing in this code base changes
(docs/billing.md, "Online payments").

The card never touches IMS Clinic: the patient types it on the provider's own checkout page, and
the provider tells us the outcome through a signed webhook. We keep the provider's payment
reference, never a card number (no model has a field that could hold one; tests/billing).

Two steps:
- `start_checkout(invoice=, by=)`: a checkout for the invoice's balance due (provider call outside
  any transaction, then one audit event);
- `confirm(body=, headers=)`: the provider's webhook, verified by the provider class, records the
  payment through the same `_take_payment` as every payment, idempotently: a repeated or
  concurrent delivery of the same provider reference records it once (row lock on the invoice,
  and a unique constraint on (invoice, reference) for online payments). Money that arrives for
  an invoice paid meanwhile, or voided, becomes the patient's account credit.
"""

import abc
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from imsclinic.accounts.models import User
from imsclinic.audit.services import record
from imsclinic.billing import actions
from imsclinic.billing.actions import BillingError
from imsclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod


@dataclass(frozen=True)
class Checkout:
    """Where to send the patient to pay, and the provider's reference for it."""

    provider_reference: str
    url: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Confirmation:
    """A completed payment, as the provider's verified webhook reports it. `started_by` is the
    user who started the checkout (the provider carries it back as metadata)."""

    invoice: uuid.UUID
    provider_reference: str
    amount: Decimal
    currency: str
    started_by: uuid.UUID


class ProviderError(Exception):
    """The provider refused, or a webhook failed verification; the message says which."""


class PaymentProvider(abc.ABC):
    """What a provider class implements. Network calls happen here, never inside a transaction."""

    name: str = "Online payment"

    @abc.abstractmethod
    def create_checkout(
        self,
        *,
        invoice: uuid.UUID,
        amount: Decimal,
        currency: str,
        description: str,
        started_by: uuid.UUID,
    ) -> Checkout:
        """A hosted checkout for `amount`; carry `invoice` and `started_by` as metadata."""

    @abc.abstractmethod
    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation | None:
        """Check the webhook's signature (ProviderError if it fails) and return the completed
        payment it reports, or None for an event that is not one (e.g. a failed attempt)."""


def provider() -> PaymentProvider | None:
    """The configured provider, or None when online payments are off (the default)."""
    path = getattr(settings, "IMSCLINIC_PAYMENT_PROVIDER", "")
    if not path:
        return None
    chosen = import_string(path)()
    if not isinstance(chosen, PaymentProvider):
        raise TypeError(f"{path} is not a PaymentProvider.")
    return chosen


def _require_provider() -> PaymentProvider:
    chosen = provider()
    if chosen is None:
        raise BillingError("Online payments are not enabled at this clinic.")
    return chosen


def start_checkout(*, invoice, by) -> Checkout:
    """A checkout for what is still owed on an issued invoice; front desk, clinic admins, or the
    patient herself (portal)."""
    chosen = _require_provider()
    own = getattr(by, "patient_record", None)
    if not (own is not None and own.pk == invoice.patient_id):
        actions._require_biller(by, invoice.clinic)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise BillingError("Only an issued invoice is paid online.")
    due = actions.balance_due(invoice)
    if due <= 0:
        raise BillingError(f"{invoice} is paid in full.")
    try:
        checkout = chosen.create_checkout(
            invoice=invoice.uuid,
            amount=due,
            currency=invoice.currency,
            description=f"{invoice} · {invoice.clinic.name}",
            started_by=by.uuid,
        )
    except ProviderError as exc:
        raise BillingError(f"{chosen.name} refused the checkout: {exc}") from exc
    with transaction.atomic():
        record(
            by=by,
            action="billing.online.checkout",
            target=invoice,
            patient=invoice.patient,
            summary=f"Online checkout for {due} {invoice.currency} on {invoice} ({chosen.name})",
            details={"amount": str(due), "reference": checkout.provider_reference[:60]},
        )
    return checkout


def confirm(*, body: bytes, headers: Mapping[str, str]) -> Payment | None:
    """Handle the provider's webhook: verify it, then record the payment once."""
    chosen = _require_provider()
    confirmation = chosen.verify_webhook(body=body, headers=headers)
    if confirmation is None:
        return None
    return record_online_payment(confirmation=confirmation, provider_name=chosen.name)


@transaction.atomic
def record_online_payment(*, confirmation: Confirmation, provider_name: str) -> Payment:
    """Record a verified online payment, or return the one already recorded for its reference."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))  # not the clinic's or patient's row
        .select_related("clinic", "patient")
        .filter(uuid=confirmation.invoice)
        .first()
    )
    if invoice is None:
        raise ProviderError("The payment names no invoice of ours.")
    reference = confirmation.provider_reference.strip()
    if not reference or len(reference) > 60:
        raise ProviderError("The payment carries no usable provider reference.")
    earlier = Payment.objects.filter(
        clinic=invoice.clinic,
        patient=invoice.patient,
        method=PaymentMethod.ONLINE,
        reference=reference,
        refund_of__isnull=True,
    ).first()
    if earlier is not None:
        return earlier  # a repeated delivery: recorded once, audited once
    if confirmation.currency != invoice.currency:
        raise ProviderError(
            f"Paid in {confirmation.currency}; the invoice is in {invoice.currency}."
        )
    by = User.objects.filter(uuid=confirmation.started_by, is_active=True).first()
    if by is None:
        raise ProviderError("The checkout names no active user of ours.")
    if invoice.kind == InvoiceKind.INVOICE and actions.balance_due(invoice) > 0:
        payment, excess = actions._take_payment(
            invoice,
            by=by,
            method=PaymentMethod.ONLINE,
            amount=confirmation.amount,
            received_on=None,
            reference=reference,
            coverage=None,
        )
    else:
        # Paid meanwhile by other means, or voided: the money was taken all the same, so it is
        # the patient's account credit (refundable), never refused back to the provider.
        amount = actions._amount(confirmation.amount, field="amount")
        payment = Payment.objects.create(
            clinic=invoice.clinic,
            patient=invoice.patient,
            invoice=None,
            method=PaymentMethod.ONLINE,
            amount=amount,
            received_on=invoice.clinic.today(),
            reference=reference,
            recorded_by=by,
        )
        excess = amount
    record(
        by=None,
        action="billing.payment.online",
        target=payment,
        patient=payment.patient,
        summary=f"{confirmation.amount} paid online ({provider_name}) for {invoice}"
        + (f"; {excess} kept as account credit" if excess else ""),
        details={"applied": str(payment.amount), "credit": str(excess), "reference": reference},
    )
    return payment
