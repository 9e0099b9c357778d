"""JSON API routes for billing, mounted under /api/v1/billing by imsclinic.api.

The same rules as the billing pages: front desk and clinic admins of the record's clinic bill
(everyone else gets a 403; another clinic's record is a 404), practitioners read their own
revenue only (`/reports/revenue`), nothing here carries a clinical note. Every record is read
through the gateway (one access-log row per request); every write calls the action in
billing/actions.py, which holds the rule. A refused rule is a 409 `{"code": "refused", "detail":
<the rule's message>, "field": ...}`; a malformed value a 422. Reads need the token scope `read`,
writes `write`. Money is a decimal string next to its currency (billing/schemas.py).
"""

import contextlib
import uuid

from django.http import Http404, HttpResponseNotAllowed
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from imsclinic.accounts.models import Clinic, Role, User
from imsclinic.billing import actions, online, reports
from imsclinic.billing.actions import BILLING_ROLES, BillingError
from imsclinic.billing.models import (
    Claim,
    ClaimStatus,
    Coverage,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from imsclinic.billing.schemas import (
    CheckoutPublic,
    ClaimDecisionIn,
    ClaimIn,
    ClaimPublic,
    Closeout,
    CoverageIn,
    CoveragePublic,
    CreditNoteIn,
    InvoiceCreate,
    InvoiceDetail,
    InvoiceSummary,
    LineIn,
    LinePublic,
    PaymentIn,
    PaymentPublic,
    RefundIn,
    Refusal,
    Revenue,
    ShareIn,
    SharePublic,
    VoidIn,
)
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.core.validation import ApiDate
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import load, log_reads
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment, Service

router = Router(tags=["billing"], auth=api_auth)

INVOICE_RELATED = ("clinic", "patient", "practitioner", "appointment", "corrects")
PAYMENT_RELATED = ("clinic", "patient", "invoice", "coverage", "refund_of")
CLAIM_RELATED = ("clinic", "invoice__patient", "coverage")
REFUSED = {409: Refusal}


class Refused(Exception):
    """A billing rule said no; imsclinic/api.py answers it as a 409 `Refusal`."""

    def __init__(self, exc: BillingError):
        super().__init__(exc.message)
        self.payload = {"code": "refused", "detail": exc.message, "field": exc.field}


@contextlib.contextmanager
def _refusals():
    """A billing rule's refusal is a 409 with the rule's own message (never a 500)."""
    try:
        yield
    except BillingError as exc:
        raise Refused(exc) from exc


def refused_response(request, exc, *, api):
    return api.create_response(request, exc.payload, status=409)


def _reading(request) -> None:
    require_staff(request)
    require_scope(request, "read")


def _writing(request) -> None:
    require_staff(request)
    require_scope(request, "write")


def _billing_clinic_ids(request) -> list[int]:
    """The clinics where the caller bills (an integration token: its one clinic)."""
    token = getattr(request, "api_token", None)
    ids = request.user.staff_clinic_ids()
    if token is not None and token.clinic_id:
        ids = [token.clinic_id]
    billing = [pk for pk in ids if request.user.has_role(pk, *BILLING_ROLES)]
    if not billing:
        raise HttpError(403, "Only front desk staff and clinic admins handle billing.")
    return billing


def _report_clinic(request, clinic: uuid.UUID | None) -> Clinic:
    token = getattr(request, "api_token", None)
    staff = Clinic.objects.filter(pk__in=request.user.staff_clinic_ids())
    if token is not None and token.clinic_id:
        staff = staff.filter(pk=token.clinic_id)
    if clinic is not None:
        chosen = staff.filter(uuid=clinic).first()
    else:
        chosen = getattr(request, "clinic", None)
        if chosen is None or not staff.filter(pk=chosen.pk).exists():
            chosen = staff.order_by("pk").first()
    if chosen is None:
        raise Http404("No such clinic.")
    return chosen


def _invoice(request, invoice_uuid, what: str) -> Invoice:
    return load(
        request, Invoice, invoice_uuid, what=what, roles=BILLING_ROLES, select=INVOICE_RELATED
    )


def _reloaded(invoice) -> Invoice:
    """The invoice again after a write (already authorised and logged)."""
    return Invoice.objects.select_related(*INVOICE_RELATED).get(pk=invoice.pk)


def _detail(invoice) -> dict:
    lines = invoice.lines.select_related("service")
    shares = invoice.shares.select_related("coverage")
    credits = actions.credits_applied(invoice)
    paid = actions.amount_paid(invoice)
    return {
        **InvoiceSummary.of(invoice),
        "note": invoice.note,
        "lines": [LinePublic.of(line) for line in lines],
        "shares": [_share(share) for share in shares],
        "credits": f"{credits:.2f}",
        "amount_paid": f"{paid:.2f}",
        "balance_due": f"{actions.balance_due(invoice):.2f}",
    }


def _share(share) -> dict:
    return {
        "coverage": share.coverage.uuid,
        "insurer_name": share.coverage.insurer_name,
        "amount": f"{share.amount:.2f}",
    }


def _coverage_of(patient, coverage_uuid) -> Coverage:
    """The patient's own coverage (the invoice's patient was read through the gateway)."""
    coverage = Coverage.objects.filter(patient=patient, uuid=coverage_uuid).first()
    if coverage is None:
        raise Http404("No such coverage for this patient.")
    return coverage


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


class _Mapped:
    """A queryset that ninja's pagination slices and counts, mapped row by row to a dict."""

    def __init__(self, queryset, mapper):
        self.queryset, self.mapper = queryset, mapper

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [self.mapper(row) for row in self.queryset[item]]


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


# --- Coverage and claims --------------------------------------------------------------------


def _patient(request, patient_uuid, what: str) -> Patient:
    return load(request, Patient, patient_uuid, what=what, roles=BILLING_ROLES, select=("clinic",))


@router.get("/patients/{uuid:patient_uuid}/coverage", response=list[CoveragePublic])
def list_coverage(request, patient_uuid: uuid.UUID):
    """The patient's insurers and claims (WCB, auto), active first."""
    _reading(request)
    patient = _patient(request, patient_uuid, "api.billing.coverage")
    return [CoveragePublic.of(c) for c in Coverage.objects.filter(patient=patient)]


@router.post("/patients/{uuid:patient_uuid}/coverage", response={201: CoveragePublic, **REFUSED})
def add_coverage(request, patient_uuid: uuid.UUID, payload: CoverageIn):
    """Add an insurer: extended health needs a plan/policy number or member id; WCB and auto
    need the claim number."""
    _writing(request)
    patient = _patient(request, patient_uuid, "api.billing.coverage.add")
    fields = payload.dict()
    with _refusals():
        coverage = actions.add_coverage(
            patient=patient,
            by=request.user,
            payer_kind=fields.pop("payer_kind"),
            insurer_name=fields.pop("insurer_name"),
            **fields,
        )
    return Status(201, CoveragePublic.of(coverage))


@router.get("/invoices/{uuid:invoice_uuid}/claims", response=list[ClaimPublic])
def list_claims(request, invoice_uuid: uuid.UUID):
    _reading(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.claims")
    return [ClaimPublic.of(c) for c in invoice.claims.select_related(*CLAIM_RELATED)]


@router.post("/invoices/{uuid:invoice_uuid}/claims", response={201: ClaimPublic, **REFUSED})
def submit_claim(request, invoice_uuid: uuid.UUID, payload: ClaimIn):
    """Claim the insurer's share of an issued invoice (default: its share on the invoice)."""
    _writing(request)
    invoice = _invoice(request, invoice_uuid, "api.billing.claim.submit")
    coverage = _coverage_of(invoice.patient, payload.coverage)
    with _refusals():
        claim = actions.submit_claim(
            invoice=invoice,
            coverage=coverage,
            by=request.user,
            amount=payload.amount,
            submitted_on=payload.submitted_on,
        )
    return Status(
        201, ClaimPublic.of(Claim.objects.select_related(*CLAIM_RELATED).get(pk=claim.pk))
    )


def _claim(request, claim_uuid, what: str) -> Claim:
    """A claim names no patient itself: scoped and authorised by the gateway, then logged once
    as a read of its invoice's patient."""
    claim = load(request, Claim, claim_uuid, what=what, roles=BILLING_ROLES, select=CLAIM_RELATED)
    log_reads(user=request.user, patients=[claim.invoice.patient], what=what)
    return claim


@router.get("/claims/{uuid:claim_uuid}", response=ClaimPublic)
def get_claim(request, claim_uuid: uuid.UUID):
    _reading(request)
    return ClaimPublic.of(_claim(request, claim_uuid, "api.billing.claim"))


@router.post("/claims/{uuid:claim_uuid}/decision", response={200: ClaimPublic, **REFUSED})
def decide_claim(request, claim_uuid: uuid.UUID, payload: ClaimDecisionIn):
    """The insurer's answer: `paid` (records its direct payment, default the amount claimed),
    `denied` with a `reason`, or `resubmitted` after a denial."""
    _writing(request)
    claim = _claim(request, claim_uuid, "api.billing.claim.decide")
    with _refusals():
        actions.decide_claim(
            claim=claim,
            by=request.user,
            status=payload.status,
            amount_paid=payload.amount_paid,
            reason=payload.reason,
            on=payload.on,
        )
    return ClaimPublic.of(Claim.objects.select_related(*CLAIM_RELATED).get(pk=claim.pk))


@router.get("/claims", response=list[ClaimPublic])
@paginate(BoundedPagination)
def list_all_claims(request, status: ClaimStatus | None = None):
    """Claims of the clinics where you bill, newest submission first (e.g. `status=denied`)."""
    _reading(request)
    claims = Claim.objects.filter(clinic_id__in=_billing_clinic_ids(request))
    if status:
        claims = claims.filter(status=status)
    claims = claims.select_related(*CLAIM_RELATED).order_by("-submitted_on", "-id")
    return _Mapped(claims, ClaimPublic.of)


# --- Reports --------------------------------------------------------------------------------


@router.get("/reports/close-out", response=Closeout)
def closeout(request, day: ApiDate | None = None, clinic: uuid.UUID | None = None):
    """The day's money by method (clinic-local `day`, default today), reconciled to the cent to
    the invoices it was applied to plus the net change in account credit. Front desk and clinic
    admins; invoice numbers only, no patient names."""
    _reading(request)
    chosen = _report_clinic(request, clinic)
    if not request.user.has_role(chosen, *BILLING_ROLES):
        raise HttpError(403, "Only front desk staff and clinic admins see the close-out.")
    day = day or chosen.today()
    summary = reports.closeout_summary(chosen, day)
    return {
        "clinic": chosen.uuid,
        "day": day,
        "currency": chosen.policy("currency", "CAD"),
        "methods": [
            {"method": m, "label": label, "amount": f"{amount:.2f}"}
            for m, label, amount in summary.methods
        ],
        "total": f"{summary.total:.2f}",
        "applied_to_invoices": f"{summary.applied:.2f}",
        "account_credit_change": f"{summary.credit:.2f}",
        "reconciled": summary.reconciled,
        "invoices": [
            {"invoice": invoice.uuid, "number": invoice.number, "applied": f"{amount:.2f}"}
            for invoice, amount in summary.invoices
        ],
    }


@router.get("/reports/revenue", response=Revenue)
def revenue(
    request,
    year: int = Query(None, ge=2000, le=2100),
    clinic: uuid.UUID | None = None,
):
    """Billed revenue before tax by month, practitioner and service. Clinic admins see the
    clinic's; a practitioner sees their own only, whatever they ask."""
    _reading(request)
    chosen = _report_clinic(request, clinic)
    if not request.user.has_role(chosen, Role.CLINIC_ADMIN, Role.PRACTITIONER):
        raise HttpError(403, "Revenue is for clinic admins and, their own, practitioners.")
    own = not request.user.has_role(chosen, Role.CLINIC_ADMIN)
    year = year or chosen.today().year
    report = reports.revenue(chosen, year, practitioner=request.user if own else None)
    return {
        "clinic": chosen.uuid,
        "year": year,
        "currency": chosen.policy("currency", "CAD"),
        "own_only": own,
        "rows": [
            {"month": m, "practitioner": p, "service": s, "amount": f"{a:.2f}"}
            for m, p, s, a in report.rows
        ],
        "total": f"{report.totals[-1]:.2f}",
    }


# GET on the POST-only routes: 401 / 404 / 403 as for a read, then 405 (include_in_schema=False).
@router.get("/invoices/{uuid:invoice_uuid}/issue", include_in_schema=False)
def _refuse_issue_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/invoices/{uuid:invoice_uuid}/void", include_in_schema=False)
def _refuse_void_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/invoices/{uuid:invoice_uuid}/checkout", include_in_schema=False)
def _refuse_checkout_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/claims/{uuid:claim_uuid}/decision", include_in_schema=False)
def _refuse_decision_get(request, claim_uuid: uuid.UUID):
    require_staff(request)
    _claim(request, claim_uuid, "api.billing.claim")
    return HttpResponseNotAllowed(["POST"])
