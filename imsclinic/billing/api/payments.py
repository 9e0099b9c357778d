"""Billing API: payments, refunds and the online checkout."""

import uuid

from ninja import Status
from ninja.pagination import paginate

from imsclinic.billing import actions, online
from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.billing.api.common import (
    PAYMENT_RELATED,
    REFUSED,
    _billing_clinic_ids,
    _coverage_of,
    _invoice,
    _Mapped,
    _reading,
    _refusals,
    _writing,
    router,
)
from imsclinic.billing.models import (
    Payment,
    PaymentMethod,
)
from imsclinic.billing.schemas import (
    CheckoutPublic,
    PaymentIn,
    PaymentPublic,
    RefundIn,
)
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.core.validation import ApiDate
from imsclinic.gateway.records import load
from imsclinic.patients.models import Patient

# --- Payments -------------------------------------------------------------------------------


@router.get("/invoices/{uuid:invoice_uuid}/payments", response=list[PaymentPublic])
def list_invoice_payments(request, invoice_uuid: uuid.UUID):
    _reading(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.payments")
    payments = invoice.payments.select_related(*PAYMENT_RELATED).order_by("received_on", "id")
    return [PaymentPublic.of(p) for p in payments]


@router.post("/invoices/{uuid:invoice_uuid}/payments", response={201: PaymentPublic, **REFUSED})
def record_payment(request, invoice_uuid: uuid.UUID, payload: PaymentIn):
    """Money received against an issued invoice. A patient's overpayment becomes account
    credit; an insurer's direct payment (`method` insurer) names the `coverage`. Card numbers are
    refused: keep the terminal's reference."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.payment.record")
    coverage = None
    if payload.coverage is not None:
        coverage = _coverage_of(invoice.patient, payload.coverage)
    with _refusals():
        payment = actions.record_payment(
            invoice=invoice,
            by=request.user,
            method=payload.method,
            amount=payload.amount,
            received_on=payload.received_on,
            reference=payload.reference,
            coverage=coverage,
        )
    payment = Payment.objects.select_related(*PAYMENT_RELATED).get(pk=payment.pk)
    return Status(201, PaymentPublic.of(payment))


@router.post("/invoices/{uuid:invoice_uuid}/checkout", response={201: CheckoutPublic, **REFUSED})
def checkout(request, invoice_uuid: uuid.UUID):
    """An online checkout for the invoice's balance due, with the configured payment provider
    (none by default: 409). Send the patient to `url`; the provider's webhook records the
    payment. The card never passes through IMS Clinic."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.checkout")
    with _refusals():
        made = online.start_checkout(invoice=invoice, by=request.user)
    return Status(
        201,
        {
            "provider_reference": made.provider_reference,
            "url": made.url,
            "amount": f"{made.amount:.2f}",
            "currency": made.currency,
        },
    )


@router.get("/payments", response=list[PaymentPublic])
@paginate(BoundedPagination)
def list_payments(
    request,
    received_from: ApiDate | None = None,
    received_to: ApiDate | None = None,
    method: PaymentMethod | None = None,
    patient: uuid.UUID | None = None,
):
    """Payments and refunds (negative) of the clinics where you bill, newest first."""
    _reading(request)
    payments = Payment.objects.filter(clinic_id__in=_billing_clinic_ids(request))
    if patient is not None:
        record = load(request, Patient, patient, what="api.billing.payments", roles=BILLING_ROLES)
        payments = payments.filter(patient=record)
    if received_from:
        payments = payments.filter(received_on__gte=received_from)
    if received_to:
        payments = payments.filter(received_on__lte=received_to)
    if method:
        payments = payments.filter(method=method)
    payments = payments.select_related(*PAYMENT_RELATED).order_by("-received_on", "-id")
    return _Mapped(payments, PaymentPublic.of)


def _payment(request, payment_uuid, what: str) -> Payment:
    return load(
        request, Payment, payment_uuid, what=what, roles=BILLING_ROLES, select=PAYMENT_RELATED
    )


@router.get("/payments/{uuid:payment_uuid}", response=PaymentPublic)
def get_payment(request, payment_uuid: uuid.UUID):
    _reading(request)
    return PaymentPublic.of(_payment(request, payment_uuid, "api.billing.payment"))


@router.get("/payments/{uuid:payment_uuid}/refunds", response=list[PaymentPublic])
def list_refunds(request, payment_uuid: uuid.UUID):
    _reading(request)
    payment = _payment(request, payment_uuid, "api.billing.payment.refunds")
    return [
        PaymentPublic.of(r) for r in payment.refunds.select_related(*PAYMENT_RELATED).order_by("id")
    ]


@router.post("/payments/{uuid:payment_uuid}/refunds", response={201: PaymentPublic, **REFUSED})
def refund(request, payment_uuid: uuid.UUID, payload: RefundIn):
    """Give back part or all of a payment, by the same method (a negative payment)."""
    _writing(request)
    payment = _payment(request, payment_uuid, "api.billing.payment.refund")
    with _refusals():
        made = actions.refund_payment(
            payment=payment, by=request.user, amount=payload.amount, reason=payload.reason
        )
    made = Payment.objects.select_related(*PAYMENT_RELATED).get(pk=made.pk)
    return Status(201, PaymentPublic.of(made))
