"""Authorisation-matrix entries of clinic administration: the clinic admin (olivia) only.

Practitioner and front desk of the same clinic get 403; carol, who does not work at clinic A,
gets 404. POST-only routes answer olivia's GET with 405 (the admin check comes first).
"""

from tests.factories import ServiceFactory
from tests.trust.authz_registry import Route

ADMIN = ("olivia",)


def _clinic(w, patient):
    return {"clinic_uuid": patient.clinic.uuid}


def _member(w, patient):
    return {"clinic_uuid": patient.clinic.uuid, "user_uuid": w.alice.uuid}


def _service(w, patient):
    return {
        "clinic_uuid": patient.clinic.uuid,
        "service_uuid": ServiceFactory(clinic=patient.clinic).uuid,
    }


AUTHZ = [
    Route("clinic-admin/<uuid:clinic_uuid>/staff/", _clinic, ok=ADMIN),
    Route("clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/", _member, ok=ADMIN),
    Route(
        "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/roles/",
        _member,
        ok=ADMIN,
        status=405,
    ),
    Route(
        "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/registrations/",
        _member,
        ok=ADMIN,
        status=405,
    ),
    Route(
        "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/authorisations/",
        _member,
        ok=ADMIN,
        status=405,
    ),
    Route(
        "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/offboard/",
        _member,
        ok=ADMIN,
        status=405,
    ),
    Route("clinic-admin/<uuid:clinic_uuid>/settings/", _clinic, ok=ADMIN),
    Route("clinic-admin/<uuid:clinic_uuid>/logo/", _clinic, ok=ADMIN, status=405),
    Route("clinic-admin/<uuid:clinic_uuid>/services/", _clinic, ok=ADMIN),
    Route("clinic-admin/<uuid:clinic_uuid>/services/<uuid:service_uuid>/", _service, ok=ADMIN),
    Route(
        "clinic-admin/<uuid:clinic_uuid>/services/<uuid:service_uuid>/active/",
        _service,
        ok=ADMIN,
        status=405,
    ),
]


def _api_member(w, patient):
    return {"user_uuid": w.alice.uuid}


def _api_service(w, patient):
    return {"service_uuid": ServiceFactory(clinic=patient.clinic).uuid}


AUTHZ += [
    Route("api/v1/admin/staff/<uuidstr:user_uuid>", _api_member, ok=ADMIN),
    Route("api/v1/admin/services/<uuidstr:service_uuid>", _api_service, ok=ADMIN),
]
