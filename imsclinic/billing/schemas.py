"""API shapes for billing (billing/api/): separate input and output schemas.

Money travels as a decimal string with two places ("95.00") next to the invoice's ISO 4217
`currency`, never as a JSON number (a float would lose cents). Input amounts are strings of
digits with at most two decimals; the rules (greater than zero, at most 100,000) are the
actions' and answer 409 with the rule's message.
"""

import datetime
import uuid
from typing import Annotated

from django.db import models
from ninja import Field, Schema

from imsclinic.billing.models import ClaimStatus, PayerKind, PaymentMethod, Relationship, TaxCode
from imsclinic.core.validation import ApiDate, SafeText

MONEY_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"
Money = Annotated[
    str,
    Field(pattern=MONEY_PATTERN, description="A decimal amount such as 95.00", examples=["95.00"]),
]
Quantity = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$", examples=["1"])]


def _money(value) -> str:
    return f"{value:.2f}"


# --- Output ---------------------------------------------------------------------------------


class LinePublic(Schema):
    position: int
    description: str
    service: uuid.UUID | None = None
    quantity: str
    unit_price: str
    discount: str
    tax_code: str
    tax_rate: str = Field(..., description="Percent, frozen when the invoice is issued")
    tax_amount: str
    line_total: str

    @staticmethod
    def of(line) -> dict:
        return {
            "position": line.position,
            "description": line.description,
            "service": line.service.uuid if line.service_id else None,
            "quantity": f"{line.quantity:.2f}",
            "unit_price": _money(line.unit_price),
            "discount": _money(line.discount),
            "tax_code": line.tax_code,
            "tax_rate": f"{line.tax_rate:.3f}",
            "tax_amount": _money(line.tax_amount),
            "line_total": _money(line.line_total),
        }


class SharePublic(Schema):
    coverage: uuid.UUID
    insurer_name: str
    amount: str


class InvoiceSummary(Schema):
    uuid: uuid.UUID
    kind: str
    status: str
    number: int | None = Field(None, description="The clinic's invoice number, once issued")
    patient: uuid.UUID
    practitioner: uuid.UUID | None = None
    appointment: uuid.UUID | None = None
    corrects: uuid.UUID | None = Field(None, description="For a credit note: the invoice")
    service_date: datetime.date
    currency: str
    subtotal: str
    tax_total: str
    total: str
    patient_portion: str = Field(..., description="What the patient owes after payer shares")
    issued_at: datetime.datetime | None = None
    voided_at: datetime.datetime | None = None
    void_reason: str

    @staticmethod
    def of(invoice) -> dict:
        return {
            "uuid": invoice.uuid,
            "kind": invoice.kind,
            "status": invoice.status,
            "number": invoice.number,
            "patient": invoice.patient.uuid,
            "practitioner": invoice.practitioner.uuid if invoice.practitioner_id else None,
            "appointment": invoice.appointment.uuid if invoice.appointment_id else None,
            "corrects": invoice.corrects.uuid if invoice.corrects_id else None,
            "service_date": invoice.service_date,
            "currency": invoice.currency,
            "subtotal": _money(invoice.subtotal),
            "tax_total": _money(invoice.tax_total),
            "total": _money(invoice.total),
            "patient_portion": _money(invoice.patient_portion),
            "issued_at": invoice.issued_at,
            "voided_at": invoice.voided_at,
            "void_reason": invoice.void_reason,
        }


class InvoiceDetail(InvoiceSummary):
    note: str
    lines: list[LinePublic]
    shares: list[SharePublic]
    credits: str = Field(..., description="Issued credit notes against it (positive)")
    amount_paid: str
    balance_due: str


class PaymentPublic(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID
    invoice: uuid.UUID | None = Field(None, description="None: the patient's account credit")
    coverage: uuid.UUID | None = Field(None, description="The insurer, for a direct payment")
    method: str
    amount: str = Field(..., description="Negative for a refund or credit used")
    currency: str
    received_on: datetime.date
    reference: str
    refund_of: uuid.UUID | None = None

    @staticmethod
    def of(payment) -> dict:
        return {
            "uuid": payment.uuid,
            "patient": payment.patient.uuid,
            "invoice": payment.invoice.uuid if payment.invoice_id else None,
            "coverage": payment.coverage.uuid if payment.coverage_id else None,
            "method": payment.method,
            "amount": _money(payment.amount),
            "currency": payment.clinic.policy("currency", "CAD"),
            "received_on": payment.received_on,
            "reference": payment.reference,
            "refund_of": payment.refund_of.uuid if payment.refund_of_id else None,
        }


class CoveragePublic(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID
    payer_kind: str
    insurer_name: str
    plan_number: str
    member_id: str
    relationship: str
    plan_member_name: str
    claim_number: str
    payer_reference: str
    is_active: bool

    @staticmethod
    def of(coverage) -> dict:
        fields = (
            "uuid payer_kind insurer_name plan_number member_id relationship plan_member_name "
            "claim_number payer_reference is_active"
        ).split()
        return {"patient": coverage.patient.uuid, **{f: getattr(coverage, f) for f in fields}}


class ClaimPublic(Schema):
    uuid: uuid.UUID
    invoice: uuid.UUID
    coverage: uuid.UUID
    status: str
    amount_claimed: str
    amount_paid: str
    submitted_on: datetime.date
    decided_on: datetime.date | None = None
    denial_reason: str
    external_reference: str

    @staticmethod
    def of(claim) -> dict:
        return {
            "uuid": claim.uuid,
            "invoice": claim.invoice.uuid,
            "coverage": claim.coverage.uuid,
            "status": claim.status,
            "amount_claimed": _money(claim.amount_claimed),
            "amount_paid": _money(claim.amount_paid),
            "submitted_on": claim.submitted_on,
            "decided_on": claim.decided_on,
            "denial_reason": claim.denial_reason,
            "external_reference": claim.external_reference,
        }


class CheckoutPublic(Schema):
    provider_reference: str
    url: str = Field(..., description="The provider's hosted checkout page")
    amount: str
    currency: str


class MethodTotal(Schema):
    method: str
    label: str
    amount: str


class CloseoutInvoice(Schema):
    invoice: uuid.UUID
    number: int | None
    applied: str


class Closeout(Schema):
    clinic: uuid.UUID
    day: datetime.date
    currency: str
    methods: list[MethodTotal]
    total: str
    applied_to_invoices: str
    account_credit_change: str
    reconciled: bool
    invoices: list[CloseoutInvoice]


class RevenueRow(Schema):
    month: str
    practitioner: str
    service: str
    amount: str


class Revenue(Schema):
    clinic: uuid.UUID
    year: int
    currency: str
    own_only: bool = Field(..., description="True for a practitioner: their own revenue only")
    rows: list[RevenueRow]
    total: str


class BillingRefusal(Schema):
    code: str = Field(..., description='"refused": a billing rule said no')
    detail: str
    field: str | None = None


# --- Input ----------------------------------------------------------------------------------

Text200 = Annotated[SafeText, Field(max_length=200)]
Reason = Annotated[SafeText, Field(max_length=300)]


class LineIn(Schema):
    description: Text200
    unit_price: Money
    quantity: Quantity = "1"
    discount: Money = "0"
    tax_code: TaxCode = TaxCode.EXEMPT
    service: uuid.UUID | None = Field(None, description="One of the clinic's services")


class InvoiceCreate(Schema):
    """Either `appointment` (a completed visit, or a no-show / late cancellation's fee) or
    `patient` with lines by hand."""

    appointment: uuid.UUID | None = None
    payer_kind: PayerKind = Field(PayerKind.PATIENT, description="Whose fee schedule prices it")
    patient: uuid.UUID | None = None
    practitioner: uuid.UUID | None = Field(None, description="Named on the receipt")
    service_date: ApiDate | None = None
    lines: list[LineIn] = Field([], max_length=50)
    note: Reason = ""


class ShareIn(Schema):
    coverage: uuid.UUID
    amount: Money


class VoidIn(Schema):
    reason: Reason


class CreditNoteIn(Schema):
    amount: Money
    reason: Reason


class PaymentIn(Schema):
    method: PaymentMethod
    amount: Money
    received_on: ApiDate | None = None
    reference: Annotated[SafeText, Field(max_length=60)] = Field(
        "", description="The terminal's or transfer's reference; never a card number"
    )
    coverage: uuid.UUID | None = Field(None, description="For an insurer's direct payment")


class RefundIn(Schema):
    amount: Money
    reason: Reason


class CoverageIn(Schema):
    payer_kind: PayerKind
    insurer_name: Annotated[SafeText, Field(max_length=120)]
    plan_number: Annotated[SafeText, Field(max_length=60)] = ""
    member_id: Annotated[SafeText, Field(max_length=60)] = ""
    relationship: Relationship = Relationship.SELF
    plan_member_name: Annotated[SafeText, Field(max_length=200)] = ""
    claim_number: Annotated[SafeText, Field(max_length=60)] = ""
    payer_reference: Annotated[SafeText, Field(max_length=60)] = ""


class ClaimIn(Schema):
    coverage: uuid.UUID
    amount: Money | None = Field(None, description="Default: the coverage's share")
    submitted_on: ApiDate | None = None


class Decision(models.TextChoices):
    """The insurer's answer to a claim (ClaimStatus without "submitted")."""

    PAID = ClaimStatus.PAID.value, ClaimStatus.PAID.label
    DENIED = ClaimStatus.DENIED.value, ClaimStatus.DENIED.label
    RESUBMITTED = ClaimStatus.RESUBMITTED.value, ClaimStatus.RESUBMITTED.label


class ClaimDecisionIn(Schema):
    status: Decision
    amount_paid: Money | None = None
    reason: Reason = ""
    on: ApiDate | None = None
