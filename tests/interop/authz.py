"""Authorisation-matrix entries for the interop area (see tests/trust/authz_registry.py).

Practitioner and Organization reads are scoped to the caller's clinics: alice and clinic A are
clinic A's objects, so carol (clinic B only) must get a 404.
"""

from tests.factories import CourseOfCareFactory
from tests.trust.authz_registry import Route


def _patient(w, patient):
    return {"patient_uuid": patient.uuid}


def _everything(w, patient):
    CourseOfCareFactory(patient=patient, practitioner=w.alice)
    return {"patient_uuid": patient.uuid}


def _practitioner(w, patient):
    return {"user_uuid": w.alice.uuid}


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
