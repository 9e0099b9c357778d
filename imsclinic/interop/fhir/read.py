"""Finding the record behind a FHIR id, with the UI's access rules.

Ids are "<record uuid>" or "<record uuid>-<suffix>" (see common.py). The record is loaded through
the gateway (gateway.records.load), so another clinic's record is a 404, front desk gets a 403 for
clinical resources and the read leaves one access row; then only that record's resources are
mapped and the one asked for returned.
"""

from __future__ import annotations

import uuid

from django.http import Http404

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


def record_uuid(resource_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(resource_id[:36])
    except ValueError as exc:
        raise Http404("No such resource.") from exc


class _OneRecord(Walk):
    """A Walk whose sections see only one record."""

    def __init__(self, record):
        super().__init__(clinic=record.clinic, patient=record.patient)
        self.record = record

    def scoped(self, model_class, **extra):
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
