"""Coverage: a patient's extended health plan, workers' compensation or auto insurance claim.

The insurer is an Organization (organization.payer_organization). Kinds map to the
v3-ActCode insurance policy codes; the relationship to the plan member to
subscriber-relationship; the plan or policy number to a `plan` class; the member id to
`subscriberId` and an identifier typed MB; a WCB or auto claim number to an identifier of its
own, and the claims network's payer reference (kept for an electronic claims network later) to
another.
"""

from django.conf import settings

from imsclinic.interop.fhir.common import (
    COVERAGE_CLASS,
    SUBSCRIBER_RELATIONSHIP,
    V2_0203,
    V3_ACT_CODE,
    build,
    coding,
    ref,
)
from imsclinic.interop.fhir.organization import payer_reference

POLICY_TYPE = {
    "extended_health": coding(V3_ACT_CODE, "EHCPOL", "extended healthcare"),
    "workers_comp": coding(V3_ACT_CODE, "WCBPOL", "worker's compensation"),
    "auto": coding(V3_ACT_CODE, "AUTOPOL", "automobile"),
}
RELATIONSHIP = {
    "self": coding(SUBSCRIBER_RELATIONSHIP, "self", "Self"),
    "spouse": coding(SUBSCRIBER_RELATIONSHIP, "spouse", "Spouse"),
    "child": coding(SUBSCRIBER_RELATIONSHIP, "child", "Child"),
    "other": coding(SUBSCRIBER_RELATIONSHIP, "other", "Other"),
}


def _system(coverage, kind: str) -> str:
    """Identifier systems per clinic and payer, like the chart numbers (common.py)."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/sid/{kind}/{coverage.clinic.uuid}"


def coverage_resource(coverage):
    patient = ref("Patient", coverage.patient.uuid)
    if coverage.relationship == "self":
        subscriber = patient
    else:  # the plan member is named on the coverage, not a record of ours
        subscriber = {"display": coverage.plan_member_name}
    identifiers = [
        {
            "type": {"coding": [coding(V2_0203, "MB", "Member Number")]},
            "system": _system(coverage, "member-id"),
            "value": coverage.member_id,
        }
        if coverage.member_id
        else None,
        {
            "type": {"text": "Claim number"},
            "system": _system(coverage, "claim-number"),
            "value": coverage.claim_number,
        }
        if coverage.claim_number
        else None,
        {
            "type": {"text": "Payer reference"},
            "system": _system(coverage, "payer-reference"),
            "value": coverage.payer_reference,
        }
        if coverage.payer_reference
        else None,
    ]
    plan = (
        {
            "type": {"coding": [coding(COVERAGE_CLASS, "plan", "Plan")]},
            "value": coverage.plan_number,
            "name": "Plan or policy number",
        }
        if coverage.plan_number
        else None
    )
    return build(
        "Coverage",
        {
            "id": str(coverage.uuid),
            "identifier": identifiers,
            "status": "active" if coverage.is_active else "cancelled",
            "type": {
                "coding": [POLICY_TYPE[coverage.payer_kind]],
                "text": coverage.get_payer_kind_display(),
            },
            "subscriber": subscriber,
            "subscriberId": coverage.member_id,
            "beneficiary": patient,
            "relationship": {"coding": [RELATIONSHIP[coverage.relationship]]},
            "payor": [payer_reference(coverage)],
            "class": [plan],
        },
    )
