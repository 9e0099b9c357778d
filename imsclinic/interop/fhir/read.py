"""Finding the record behind a FHIR id, with the UI's access rules.

Ids are "<record uuid>" or "<record uuid>-<suffix>" (see common.py). The record is loaded through
core.access.get_for_user, so another clinic's record is a 404 and front desk gets a 403 for
clinical resources; then only that record's resources are mapped and the one asked for returned.
"""

from __future__ import annotations

import uuid

from django.http import Http404

from imsclinic.core.access import get_for_user
from imsclinic.interop.fhir.collect import Walk, model

# Resource type -> (model label, Walk section) that can produce it, tried in order.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "Encounter": [
        ("clinical.TreatmentSession", "sessions"),
        ("clinical.Assessment", "assessments"),
    ],
    "Condition": [("clinical.Assessment", "assessments"), ("clinical.CourseOfCare", "courses")],
    "Procedure": [("clinical.TreatmentSession", "sessions")],
    "Device": [("clinical.TreatmentSession", "sessions")],
    "Observation": [
        ("clinical.TreatmentSession", "sessions"),
        ("outcomes.QuestionnaireResponse", "responses"),
    ],
    "CarePlan": [("clinical.CourseOfCare", "courses")],
    "Consent": [("clinical.Consent", "consents")],
    "AdverseEvent": [("clinical.AdverseEvent", "adverse_events")],
    "QuestionnaireResponse": [("outcomes.QuestionnaireResponse", "responses")],
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


def read_clinical(request, resource_type: str, resource_id: str):
    """(resource, patient) for a clinical resource the user may read, or Http404."""
    wanted = record_uuid(resource_id)
    for label, section in SOURCES[resource_type]:
        model_class = model(label)
        if model_class is None or not model_class.objects.filter(uuid=wanted).exists():
            continue
        record = get_for_user(
            request,
            model_class.objects.select_related("patient", "clinic"),
            clinical=True,
            uuid=wanted,
        )
        for resource in getattr(_OneRecord(record), section)():
            if resource["resourceType"] == resource_type and resource["id"] == resource_id:
                return resource, record.patient
    raise Http404("No such resource.")
