"""Authorisation-matrix entries for the portal's object routes.

Cancelling is the patient's own (POST-only: her own appointment answers GET with 405, another
patient's is a 404); inviting a patient to the portal is a practitioner or clinic-admin action on
the chart (POST-only).
"""

from tests.factories import AppointmentFactory
from tests.trust.authz_registry import Route


def _appointment(w, patient):
    return {
        "appointment_uuid": AppointmentFactory(
            clinic=patient.clinic, patient=patient, practitioner=w.alice
        ).uuid
    }


AUTHZ = [
    Route(
        "portal/appointments/<uuid:appointment_uuid>/cancel/", _appointment, portal=True, status=405
    ),
    Route(
        "portal/invite/<uuid:patient_uuid>/",
        lambda w, patient: {"patient_uuid": patient.uuid},
        ok=("alice", "olivia"),  # front desk may not invite (portal shows clinical notes)
        status=405,
    ),
]
