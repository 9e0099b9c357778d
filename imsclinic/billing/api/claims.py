"""Billing API: coverage and claims."""

import uuid

from ninja import Status
from ninja.pagination import paginate

from imsclinic.billing import actions
from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.billing.api.common import (
    CLAIM_RELATED,
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
    Claim,
    ClaimStatus,
    Coverage,
)
from imsclinic.billing.schemas import (
    ClaimDecisionIn,
    ClaimIn,
    ClaimPublic,
    CoverageIn,
    CoveragePublic,
)
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.gateway.records import load, log_reads
from imsclinic.patients.models import Patient

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
