"""Billing API: invoices, their lines, payer shares, issue, void and credit notes."""

import uuid

from django.http import Http404
from ninja import Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from imsclinic.accounts.models import User
from imsclinic.billing import actions
from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.billing.api.common import (
    INVOICE_RELATED,
    REFUSED,
    _billing_clinic_ids,
    _coverage_of,
    _detail,
    _invoice,
    _Mapped,
    _reading,
    _refusals,
    _reloaded,
    _share,
    _writing,
    router,
)
from imsclinic.billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
)
from imsclinic.billing.schemas import (
    CreditNoteIn,
    InvoiceCreate,
    InvoiceDetail,
    InvoiceSummary,
    LineIn,
    LinePublic,
    ShareIn,
    SharePublic,
    VoidIn,
)
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.core.validation import ApiDate
from imsclinic.gateway.records import load
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment, Service

# --- Invoices -------------------------------------------------------------------------------


@router.get("/invoices", response=list[InvoiceSummary])
@paginate(BoundedPagination)
def list_invoices(
    request,
    patient: uuid.UUID | None = None,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    practitioner: uuid.UUID | None = None,
    service_from: ApiDate | None = None,
    service_to: ApiDate | None = None,
):
    """Invoices and credit notes of the clinics where you bill, newest service date first;
    `patient` narrows to one patient (a read of that patient's record, logged)."""
    _reading(request)
    invoices = Invoice.objects.filter(clinic_id__in=_billing_clinic_ids(request))
    if patient is not None:
        record = load(request, Patient, patient, what="api.billing.invoices", roles=BILLING_ROLES)
        invoices = invoices.filter(patient=record)
    if status:
        invoices = invoices.filter(status=status)
    if kind:
        invoices = invoices.filter(kind=kind)
    if practitioner:
        invoices = invoices.filter(practitioner__uuid=practitioner)
    if service_from:
        invoices = invoices.filter(service_date__gte=service_from)
    if service_to:
        invoices = invoices.filter(service_date__lte=service_to)
    invoices = invoices.select_related(*INVOICE_RELATED).order_by("-service_date", "-id")
    return _Mapped(invoices, InvoiceSummary.of)


@router.post("/invoices", response={201: InvoiceDetail, **REFUSED})
def create_invoice(request, payload: InvoiceCreate):
    """A draft invoice: from a visit (`appointment`: completed, or a no-show / late cancellation
    at the clinic policy's fee), or by hand for `patient` with `lines`."""
    _writing(request)
    if (payload.appointment is None) == (payload.patient is None):
        raise HttpError(422, "Give either 'appointment' or 'patient', not both.")
    with _refusals():
        if payload.appointment is not None:
            appointment = load(
                request,
                Appointment,
                payload.appointment,
                what="api.billing.invoice.create",
                roles=BILLING_ROLES,
                select=("patient", "clinic", "service", "practitioner"),
            )
            if appointment.status in actions.MISSED_FEES:
                invoice = actions.invoice_missed_appointment(
                    appointment=appointment, by=request.user
                )
            else:
                invoice = actions.invoice_appointment(
                    appointment=appointment, by=request.user, payer_kind=payload.payer_kind
                )
        else:
            patient = load(
                request,
                Patient,
                payload.patient,
                what="api.billing.invoice.create",
                roles=BILLING_ROLES,
                select=("clinic",),
            )
            practitioner = None
            if payload.practitioner is not None:
                practitioner = User.objects.filter(
                    uuid=payload.practitioner,
                    memberships__clinic=patient.clinic,
                    memberships__is_active=True,
                ).first()
                if practitioner is None:
                    raise Http404("No such practitioner at this clinic.")
            lines = [_line(patient.clinic, line) for line in payload.lines]
            invoice = actions.create_invoice(
                patient=patient,
                by=request.user,
                service_date=payload.service_date,
                practitioner=practitioner,
                lines=lines,
                note=payload.note,
            )
    return Status(201, _detail(_reloaded(invoice)))


def _line(clinic, line: LineIn) -> dict:
    service = None
    if line.service is not None:
        service = Service.objects.filter(clinic=clinic, uuid=line.service).first()
        if service is None:
            raise Http404("No such service at this clinic.")
    return {
        "description": line.description,
        "unit_price": line.unit_price,
        "quantity": line.quantity,
        "discount": line.discount,
        "tax_code": line.tax_code,
        "service": service,
    }


@router.get("/invoices/{uuid:invoice_uuid}", response=InvoiceDetail)
def get_invoice(request, invoice_uuid: uuid.UUID):
    """An invoice or credit note with its lines, payer shares, credits, payments and balance."""
    _reading(request)
    return _detail(_invoice(request, invoice_uuid, "api.billing.invoice"))


@router.get("/invoices/{uuid:invoice_uuid}/lines", response=list[LinePublic])
def list_lines(request, invoice_uuid: uuid.UUID):
    _reading(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.lines")
    return [LinePublic.of(line) for line in invoice.lines.select_related("service")]


@router.post("/invoices/{uuid:invoice_uuid}/lines", response={201: InvoiceDetail, **REFUSED})
def add_line(request, invoice_uuid: uuid.UUID, payload: LineIn):
    """Add a line to a draft (an issued invoice is corrected by a credit note instead)."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.line_add")
    with _refusals():
        actions.add_line(invoice=invoice, by=request.user, **_line(invoice.clinic, payload))
    return Status(201, _detail(_reloaded(invoice)))


@router.get("/invoices/{uuid:invoice_uuid}/shares", response=list[SharePublic])
def list_shares(request, invoice_uuid: uuid.UUID):
    """The parts of the invoice billed to the patient's insurers (a split bill)."""
    _reading(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.shares")
    return [_share(share) for share in invoice.shares.select_related("coverage")]


@router.post("/invoices/{uuid:invoice_uuid}/shares", response={200: InvoiceDetail, **REFUSED})
def split(request, invoice_uuid: uuid.UUID, payload: ShareIn):
    """Bill `amount` of a draft to the patient's coverage (a split bill); the patient owes the
    rest. Sending the same coverage again changes its share."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.split")
    coverage = _coverage_of(invoice.patient, payload.coverage)
    with _refusals():
        actions.split_with_payer(
            invoice=invoice, coverage=coverage, amount=payload.amount, by=request.user
        )
    return _detail(_reloaded(invoice))


@router.post("/invoices/{uuid:invoice_uuid}/issue", response={200: InvoiceDetail, **REFUSED})
def issue(request, invoice_uuid: uuid.UUID):
    """Number the draft with the clinic's next number (no gaps) and freeze it."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.issue")
    with _refusals():
        actions.issue_invoice(invoice=invoice, by=request.user)
    return _detail(_reloaded(invoice))


@router.post("/invoices/{uuid:invoice_uuid}/void", response={200: InvoiceDetail, **REFUSED})
def void(request, invoice_uuid: uuid.UUID, payload: VoidIn):
    """Void an issued invoice with no payments and no credit notes, with a reason."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.void")
    with _refusals():
        actions.void_invoice(invoice=invoice, by=request.user, reason=payload.reason)
    return _detail(_reloaded(invoice))


@router.get("/invoices/{uuid:invoice_uuid}/credit-notes", response=list[InvoiceSummary])
def list_credit_notes(request, invoice_uuid: uuid.UUID):
    _reading(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.credit_notes")
    notes = invoice.credit_notes.select_related(*INVOICE_RELATED).order_by("number")
    return [InvoiceSummary.of(note) for note in notes]


@router.post("/invoices/{uuid:invoice_uuid}/credit-notes", response={201: InvoiceDetail, **REFUSED})
def credit_note(request, invoice_uuid: uuid.UUID, payload: CreditNoteIn):
    """Correct an issued invoice by `amount`: a numbered credit note, issued at once."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.invoice.credit_note")
    with _refusals():
        note = actions.issue_credit_note(
            invoice=invoice, by=request.user, amount=payload.amount, reason=payload.reason
        )
    return Status(201, _detail(_reloaded(note)))
