"""Authorisation-matrix entries for duplicate charts: every staff role sees the candidates; only
the clinic admin merges (POST only, so the matrix's GET answers 405 for her)."""

from tests.trust.authz_registry import Route


def _patient(w, patient):
    return {"patient_uuid": patient.uuid}


AUTHZ = [
    Route("patients/<uuid:patient_uuid>/duplicates/", _patient),
    Route("patients/<uuid:patient_uuid>/merge/", _patient, ok=("olivia",), status=405),
    Route("api/v1/patients/<uuidstr:patient_uuid>/duplicates", _patient),
    Route("api/v1/patients/<uuidstr:patient_uuid>/merge", _patient, ok=("olivia",), status=405),
]
