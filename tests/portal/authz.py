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


def _waitlist_entry(w, patient):
    from tests.factories.waitlist import WaitlistEntryFactory

    return {"entry_uuid": WaitlistEntryFactory(clinic=patient.clinic, patient=patient).uuid}


# Taking herself off the waitlist is the patient's own (POST-only, like cancelling).
AUTHZ += [
    Route("portal/waitlist/<uuid:entry_uuid>/leave/", _waitlist_entry, portal=True, status=405),
]
