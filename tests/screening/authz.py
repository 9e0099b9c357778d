"""Authorisation-matrix entries for the staff screening-request queue.

Every staff role of the clinic works the queue (front desk calls back and registers patients);
the status and register-as-patient routes are POST-only, so the matrix's GET answers 405.
"""

from tests.factories import EvaluationRequestFactory
from tests.trust.authz_registry import Route


def _request(w, patient):
    return {"request_uuid": EvaluationRequestFactory(clinic=patient.clinic, patient=patient).uuid}


AUTHZ = [
    Route("screening/requests/<uuid:request_uuid>/", _request),
    Route("screening/requests/<uuid:request_uuid>/status/", _request, status=405),
    Route("screening/requests/<uuid:request_uuid>/patient/", _request, status=405),
    Route("screening/requests/<uuid:request_uuid>/attach/", _request, status=405),
]
