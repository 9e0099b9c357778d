"""An in-process payment provider for the tests: a real implementation of the interface in
billing/online.py (checkouts with references, HMAC-signed webhooks), talking to no network.

Enable it with IMSCLINIC_PAYMENT_PROVIDER="tests.billing.online_provider.InProcessProvider".
"""

import hashlib
import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation

from imsclinic.billing.online import Checkout, Confirmation, PaymentProvider, ProviderError

SECRET = b"in-process-provider-webhook-secret"
SIGNATURE_HEADER = "X-Provider-Signature"


def sign(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()


class InProcessProvider(PaymentProvider):
    name = "In-process test provider"

    def create_checkout(self, *, invoice, amount, currency, description, started_by) -> Checkout:
        reference = f"pay_{uuid.uuid4().hex[:20]}"
        return Checkout(
            provider_reference=reference,
            url=f"https://checkout.provider.invalid/{reference}",
            amount=amount,
            currency=currency,
        )

    def verify_webhook(self, *, body, headers) -> Confirmation | None:
        given = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, sign(body)):
            raise ProviderError("The webhook's signature does not match.")
        try:
            event = json.loads(body)
            if event["type"] != "payment.succeeded":
                return None
            return Confirmation(
                invoice=uuid.UUID(event["invoice"]),
                provider_reference=event["reference"],
                amount=Decimal(event["amount"]),
                currency=event["currency"],
                started_by=uuid.UUID(event["started_by"]),
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise ProviderError(f"The webhook is malformed: {exc}") from exc


def webhook(*, checkout: Checkout, invoice, started_by, kind="payment.succeeded", amount=None):
    """What the provider would post when the patient pays the checkout: (body, headers)."""
    body = json.dumps(
        {
            "type": kind,
            "invoice": str(invoice.uuid),
            "reference": checkout.provider_reference,
            "amount": str(amount if amount is not None else checkout.amount),
            "currency": checkout.currency,
            "started_by": str(started_by.uuid),
        }
    ).encode()
    return body, {SIGNATURE_HEADER: sign(body)}
