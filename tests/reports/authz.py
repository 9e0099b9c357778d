"""Authorisation-matrix entries for the reports area (see tests/trust/authz_registry.py)."""

from tests.factories import CourseOfCareFactory
from tests.trust.authz_registry import Route


def _report(w, patient):
    course = CourseOfCareFactory(patient=patient, practitioner=w.alice)
    return {"patient_uuid": patient.uuid, "course_uuid": course.uuid, "kind": "progress"}


AUTHZ = [
    Route(
        "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/",
        _report,
        clinical=True,
    ),
    Route(
        "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>.pdf",
        _report,
        clinical=True,
    ),
    Route(
        "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/edit/",
        _report,
        clinical=True,
    ),
]
