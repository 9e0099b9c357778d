"""Finding the record behind a FHIR id, with the UI's access rules.

Ids are "<record uuid>" or "<record uuid>-<suffix>" (see common.py). The record is loaded through
the gateway (gateway.records.load), so another clinic's record is a 404, front desk gets a 403 for
clinical resources and the read leaves one access row; then only that record's resources are
mapped and the one asked for returned.

Billing resources (issue 16) follow the billing pages' rule: front desk and clinic admins read
them, practitioners get a 403. A Claim (which names no patient itself) is read by loading its
invoice through the gateway, so the read is scoped and logged like the others.
"""

from __future__ import annotations

import uuid

from django.http import Http404

from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.billing.models import Claim, Coverage, Invoice, Payment
from imsclinic.clinical.models import (
    AdverseEvent,
    Assessment,
    Consent,
    CourseOfCare,
    TreatmentSession,
)
from imsclinic.gateway.records import load
from imsclinic.interop.fhir.collect import Walk
from imsclinic.outcomes.models import QuestionnaireResponse

# Resource type -> (model, Walk section) that can produce it, tried in order.
SOURCES: dict[str, list[tuple[type, str]]] = {
    "Encounter": [(TreatmentSession, "sessions"), (Assessment, "assessments")],
    "Condition": [(Assessment, "assessments"), (CourseOfCare, "courses")],
    "Procedure": [(TreatmentSession, "sessions")],
    "Device": [(TreatmentSession, "sessions")],
    "Observation": [(TreatmentSession, "sessions"), (QuestionnaireResponse, "responses")],
    "CarePlan": [(CourseOfCare, "courses")],
    "Consent": [(Consent, "consents")],
    "AdverseEvent": [(AdverseEvent, "adverse_events")],
    "QuestionnaireResponse": [(QuestionnaireResponse, "responses")],
}
CLINICAL_TYPES = tuple(SOURCES)

# Billing: resource type -> the model whose UUID the id starts with.
BILLING_SOURCES: dict[str, type] = {
    "Coverage": Coverage,
    "Invoice": Invoice,
    "ChargeItem": Invoice,
    "PaymentReconciliation": Payment,
    "Claim": Claim,
    "ClaimResponse": Claim,
}
BILLING_TYPES = tuple(BILLING_SOURCES)


def record_uuid(resource_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(resource_id[:36])
    except ValueError as exc:
        raise Http404("No such resource.") from exc


class _OneRecord(Walk):
    """A Walk whose sections see only one record."""

    def __init__(self, record, patient=None):
        patient = patient if patient is not None else record.patient
        super().__init__(clinic=record.clinic, patient=patient)
        self.record = record

    def scoped(self, model_class, patient_field: str = "patient", **extra):
        if model_class is not type(self.record):
            return model_class.objects.none()
        return model_class.objects.filter(pk=self.record.pk)


def read_clinical(request, resource_type: str, resource_id: str) -> dict:
    """The clinical resource the user may read (one access row), or Http404."""
    wanted = record_uuid(resource_id)
    for model_class, section in SOURCES[resource_type]:
        if not model_class.objects.filter(uuid=wanted).exists():
            continue
        record = load(
            request,
            model_class,
            wanted,
            what=f"fhir.{resource_type}",
            clinical=True,
            select=("patient", "clinic"),
        )
        for resource in getattr(_OneRecord(record), section)():
            if resource["resourceType"] == resource_type and resource["id"] == resource_id:
                return resource
    raise Http404("No such resource.")


def read_billing(request, resource_type: str, resource_id: str) -> dict:
    """The billing resource a biller of its clinic may read (one access row), or Http404."""
    wanted = record_uuid(resource_id)
    model_class = BILLING_SOURCES[resource_type]
    options = {"what": f"fhir.{resource_type}", "roles": BILLING_ROLES}
    if model_class is Claim:
        invoice_uuid = Claim.objects.filter(uuid=wanted).values_list("invoice__uuid", flat=True)
        invoice = load(request, Invoice, invoice_uuid.first(), **options, select=("patient",))
        record = Claim.objects.select_related("clinic").get(uuid=wanted, invoice=invoice)
        walk = _OneRecord(record, patient=invoice.patient)
    else:
        record = load(request, model_class, wanted, **options, select=("patient", "clinic"))
        walk = _OneRecord(record)
    for resource in walk.billing():
        if resource["resourceType"] == resource_type and resource["id"] == resource_id:
            return resource
    raise Http404("No such resource.")
