"""PaymentReconciliation: one per payment received or refunded.

R4 PaymentReconciliation has no payment method (R5 added `method`, bound to HL7 v2 table 0570),
so the method travels in a `payment-method` extension: a local code for every method, plus the
v2-0570 code where one fits (cash CASH, debit card DEBC, credit card CCCA). The single `detail`
says what the money did: `payment` towards the Invoice it names (`request`), `advance` when it
is held as the patient's account credit (no invoice), `adjustment` for a refund (negative
amount, `predecessor` naming the payment it refunds, the reason in `disposition`) or for
account credit drawn on. An insurer's direct payment names the
insurer Organization as `paymentIssuer` and `submitter`. The terminal or transfer reference is
`paymentIdentifier` (card numbers are never stored, so never exported).
"""

from imsclinic.interop.fhir.common import (
    CS_PAYMENT_METHOD,
    EXT_PAYMENT_METHOD,
    PAYMENT_TYPE,
    V2_0570,
    build,
    coding,
    instant,
    money,
    ref,
    uuid_reference,
)
from imsclinic.interop.fhir.organization import payer_reference

V2_METHOD = {
    "cash": coding(V2_0570, "CASH", "Cash"),
    "debit": coding(V2_0570, "DEBC", "Debit Card"),
    "credit_card": coding(V2_0570, "CCCA", "Credit Card"),
}
DETAIL_TYPE = {
    "payment": coding(PAYMENT_TYPE, "payment", "Payment"),
    "advance": coding(PAYMENT_TYPE, "advance", "Advance"),
    "adjustment": coding(PAYMENT_TYPE, "adjustment", "Adjustment"),
}


def _detail_type(payment) -> str:
    if payment.amount < 0:
        return "adjustment"
    return "payment" if payment.invoice_id else "advance"


def payment_reconciliation(payment, currency: str):
    method = payment.get_method_display()
    insurer = payer_reference(payment.coverage) if payment.coverage_id else None
    kind = _detail_type(payment)
    refund = payment.refund_of_id is not None
    # A refund's reference field holds the reason for the refund, not a payment reference.
    disposition = f"Refund ({method.lower()}): {payment.reference}" if refund else method
    clinic = ref("Organization", payment.clinic.uuid, payment.clinic.name)
    return build(
        "PaymentReconciliation",
        {
            "id": str(payment.uuid),
            "extension": [
                {
                    "url": EXT_PAYMENT_METHOD,
                    "valueCodeableConcept": {
                        "coding": [
                            coding(CS_PAYMENT_METHOD, payment.method.replace("_", "-"), method),
                            V2_METHOD.get(payment.method),
                        ],
                        "text": method,
                    },
                }
            ],
            "identifier": [uuid_reference(payment.uuid)],
            "status": "active",
            "created": instant(payment.created_at),
            "paymentIssuer": insurer,
            "outcome": "complete",
            "disposition": disposition,
            "paymentDate": payment.received_on.isoformat(),
            "paymentAmount": money(payment.amount, currency),
            "paymentIdentifier": {"value": payment.reference}
            if payment.reference and not refund
            else None,
            "detail": [
                {
                    "type": {"coding": [DETAIL_TYPE[kind]]},
                    "predecessor": uuid_reference(payment.refund_of.uuid)
                    if payment.refund_of_id
                    else None,
                    "request": ref("Invoice", payment.invoice.uuid) if payment.invoice_id else None,
                    "submitter": insurer,
                    "payee": clinic,
                    "date": payment.received_on.isoformat(),
                    "amount": money(payment.amount, currency),
                }
            ],
        },
    )
