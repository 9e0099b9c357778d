"""Authorisation-matrix entries for the interop area (see tests/trust/authz_registry.py).

Practitioner and Organization reads are scoped to the caller's clinics: alice and clinic A are
clinic A's objects, so carol (clinic B only) must get a 404. The FHIR billing resources follow the
billing pages: front desk and clinic admins read them, the practitioner gets a 403.
"""

import datetime

from tests.factories import CourseOfCareFactory
from tests.trust.authz_registry import Route


def _patient(w, patient):
    return {"patient_uuid": patient.uuid}


def _everything(w, patient):
    CourseOfCareFactory(patient=patient, practitioner=w.alice)
    return {"patient_uuid": patient.uuid}


def _practitioner(w, patient):
    return {"user_uuid": w.alice.uuid}


BILLERS = ("bob", "olivia")


def _bills(w, patient):
    """A split invoice with its payment and a paid claim for `patient`: one of each resource."""
    from imsclinic.billing import actions

    coverage = actions.add_coverage(
        patient=patient,
        by=w.bob,
        payer_kind="extended_health",
        insurer_name="Sun Life",
        member_id="M1",
    )
    invoice = actions.create_invoice(
        patient=patient, by=w.bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
    )
    actions.split_with_payer(invoice=invoice, coverage=coverage, amount="50.00", by=w.bob)
    invoice = actions.issue_invoice(invoice=invoice, by=w.bob)
    payment = actions.record_payment(invoice=invoice, by=w.bob, method="debit", amount="45.00")
    claim = actions.submit_claim(invoice=invoice, coverage=coverage, by=w.bob)
    day = invoice.clinic.today() + datetime.timedelta(days=1)
    actions.decide_claim(claim=claim, by=w.bob, status="paid", on=day)
    return {
        "Coverage": str(coverage.uuid),
        "Invoice": str(invoice.uuid),
        "ChargeItem": f"{invoice.uuid}-l0",
        "PaymentReconciliation": str(payment.uuid),
        "Claim": str(claim.uuid),
        "ClaimResponse": f"{claim.uuid}-response",
    }


def _billing(resource_type):
    return lambda w, patient: {"resource_id": _bills(w, patient)[resource_type]}


BILLING_TYPES = (
    "Coverage",
    "Invoice",
    "ChargeItem",
    "PaymentReconciliation",
    "Claim",
    "ClaimResponse",
)

AUTHZ = [
    Route("api/v1/fhir/Patient/<uuidstr:patient_uuid>", _patient),
    Route("api/v1/fhir/Patient/<uuidstr:patient_uuid>/$everything", _everything, clinical=True),
    Route("api/v1/fhir/Practitioner/<uuidstr:user_uuid>", _practitioner),
    Route(
        "api/v1/fhir/Organization/<uuidstr:clinic_uuid>",
        lambda w, patient: {"clinic_uuid": w.clinic_a.uuid},
    ),
    Route("api/v1/practitioners/<uuidstr:user_uuid>", _practitioner),
]

AUTHZ += [
    Route(f"api/v1/fhir/{kind}/<resource_id>", _billing(kind), ok=BILLERS) for kind in BILLING_TYPES
]
