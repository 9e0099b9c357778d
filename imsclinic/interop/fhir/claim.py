"""Claim (an insurer's share of an invoice) and ClaimResponse (the insurer's answer).

A Claim is `active` from submission on: type `professional`, use `claim`, the insurer
Organization, the Coverage as its one focal insurance, the Invoice it is for as supporting
information and the amount claimed as `total`. Once the insurer answers (paid or denied), a
ClaimResponse with id "<claim uuid>-response" records it: outcome `complete`, the disposition
("Paid" or "Denied: <reason>"), the submitted and benefit totals and, when paid, the payment.
A claim resubmitted after a denial has no ClaimResponse until the insurer answers again (the
billing model keeps the latest answer only).
"""

from imsclinic.interop.fhir.common import (
    ADJUDICATION,
    CLAIM_TYPE,
    PROCESS_PRIORITY,
    build,
    coding,
    money,
    ref,
)
from imsclinic.interop.fhir.organization import payer_reference

PROFESSIONAL = {"coding": [coding(CLAIM_TYPE, "professional", "Professional")]}
INFO = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"


def claim_response_id(claim) -> str:
    return f"{claim.uuid}-response"


def claim_resource(claim, currency: str):
    invoice = claim.invoice
    return build(
        "Claim",
        {
            "id": str(claim.uuid),
            "identifier": [{"value": claim.external_reference}] if claim.external_reference else [],
            "status": "active",
            "type": PROFESSIONAL,
            "use": "claim",
            "patient": ref("Patient", invoice.patient.uuid),
            "billablePeriod": {"start": invoice.service_date.isoformat()},
            "created": claim.submitted_on.isoformat(),
            "insurer": payer_reference(claim.coverage),
            "provider": ref("Organization", claim.clinic.uuid, claim.clinic.name),
            "priority": {"coding": [coding(PROCESS_PRIORITY, "normal", "Normal")]},
            "supportingInfo": [
                {
                    "sequence": 1,
                    "category": {"coding": [coding(INFO, "info", "Information")]},
                    "valueReference": ref("Invoice", invoice.uuid, str(invoice)),
                }
            ],
            "insurance": [
                {"sequence": 1, "focal": True, "coverage": ref("Coverage", claim.coverage.uuid)}
            ],
            "total": money(claim.amount_claimed, currency),
        },
    )


def claim_response(claim, currency: str):
    """The insurer's answer, or None while the claim waits for one."""
    if claim.status not in ("paid", "denied"):
        return None
    paid = claim.status == "paid"
    return build(
        "ClaimResponse",
        {
            "id": claim_response_id(claim),
            "status": "active",
            "type": PROFESSIONAL,
            "use": "claim",
            "patient": ref("Patient", claim.invoice.patient.uuid),
            "created": claim.decided_on.isoformat(),
            "insurer": payer_reference(claim.coverage),
            "requestor": ref("Organization", claim.clinic.uuid, claim.clinic.name),
            "request": ref("Claim", claim.uuid),
            "outcome": "complete",
            "disposition": "Paid" if paid else f"Denied: {claim.denial_reason}",
            "total": [
                {
                    "category": {"coding": [coding(ADJUDICATION, "submitted", "Submitted Amount")]},
                    "amount": money(claim.amount_claimed, currency),
                },
                {
                    "category": {"coding": [coding(ADJUDICATION, "benefit", "Benefit Amount")]},
                    "amount": money(claim.amount_paid, currency),
                },
            ],
            "payment": {
                "type": {
                    "coding": [
                        coding(PAYMENT_TYPE, "complete", "Complete")
                        if claim.amount_paid == claim.amount_claimed
                        else coding(PAYMENT_TYPE, "partial", "Partial")
                    ]
                },
                "date": claim.decided_on.isoformat(),
                "amount": money(claim.amount_paid, currency),
            }
            if paid
            else None,
        },
    )
