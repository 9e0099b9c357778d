"""Authorisation-matrix entries for the outcomes area (see tests/trust/authz_registry.py)."""

from tests.factories import CourseOfCareFactory, QuestionnaireResponseFactory
from tests.trust.authz_registry import Route


def _patient(w, patient):
    QuestionnaireResponseFactory(patient=patient)
    return {"patient_uuid": patient.uuid}


def _course(w, patient):
    course = CourseOfCareFactory(patient=patient, practitioner=w.alice)
    return {"patient_uuid": patient.uuid, "course_uuid": course.uuid}


AUTHZ = [
    Route("outcomes/patients/<uuid:patient_uuid>/", _patient, clinical=True),
    Route(
        "outcomes/patients/<uuid:patient_uuid>/record/<slug:instrument_id>/",
        lambda w, patient: {"patient_uuid": patient.uuid, "instrument_id": "nprs"},
        clinical=True,
    ),
    # POST-only: the chart check runs first (carol 404, bob 403), then GET is a 405.
    Route(
        "outcomes/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/discharge/",
        _course,
        clinical=True,
        status=405,
    ),
    Route("api/v1/outcomes/patients/<uuidstr:patient_uuid>/responses", _patient, clinical=True),
    Route("api/v1/outcomes/patients/<uuidstr:patient_uuid>/scores", _course, clinical=True),
]
