"""Authorisation-matrix entries for the schedule pages and the scheduling API.

Every staff role of the clinic may open an appointment (front desk books and checks in) and change
hours; the status/cancel/remove routes are POST-only, so the matrix's GET answers 405 to them.
"""

import datetime

from imsclinic.scheduling.models import AvailabilityException, Closure
from tests.factories import AppointmentFactory, AvailabilityFactory
from tests.factories.waitlist import WaitlistEntryFactory
from tests.trust.authz_registry import Route


def _appointment(w, patient):
    return {
        "appointment_uuid": AppointmentFactory(
            clinic=patient.clinic, patient=patient, practitioner=w.alice
        ).uuid
    }


def _availability(w, patient):
    return {"row_uuid": AvailabilityFactory(clinic=patient.clinic, practitioner=w.alice).uuid}


def _exception(w, patient):
    row = AvailabilityException.objects.create(
        clinic=patient.clinic,
        practitioner=w.alice,
        date=patient.clinic.today() + datetime.timedelta(days=3),
    )
    return {"row_uuid": row.uuid}


def _closure(w, patient):
    row = Closure.objects.create(
        clinic=patient.clinic,
        date=patient.clinic.today() + datetime.timedelta(days=30),
        name="Staff training",
    )
    return {"row_uuid": row.uuid}


def _closure_api(w, patient):
    return {"closure_uuid": _closure(w, patient)["row_uuid"]}


def _entry(w, patient):
    return {"entry_uuid": WaitlistEntryFactory(clinic=patient.clinic, patient=patient).uuid}


AUTHZ = [
    # The waitlist (any staff role keeps it; the booking and withdrawing routes are POST-only).
    Route("schedule/waitlist/<uuid:entry_uuid>/", _entry),
    Route("schedule/waitlist/<uuid:entry_uuid>/withdraw/", _entry, status=405),
    Route("schedule/waitlist/<uuid:entry_uuid>/book/", _entry, status=405),
    Route("api/v1/scheduling/waitlist/<uuidstr:entry_uuid>", _entry),
    Route("api/v1/scheduling/waitlist/<uuidstr:entry_uuid>/withdraw", _entry, status=405),
    Route("api/v1/scheduling/waitlist/<uuidstr:entry_uuid>/book", _entry, status=405),
    Route("schedule/appointments/<uuid:appointment_uuid>/reschedule/", _appointment),
    Route("schedule/closures/<uuid:row_uuid>/remove/", _closure, ok=("bob", "olivia"), status=405),
    Route(
        "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/reschedule",
        _appointment,
        status=405,
    ),
    Route("api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/notifications", _appointment),
    Route(
        "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/video-link",
        _appointment,
        status=405,
    ),
    Route("api/v1/scheduling/closures/<uuidstr:closure_uuid>", _closure_api),
    Route("schedule/appointments/<uuid:appointment_uuid>/", _appointment),
    Route("schedule/appointments/<uuid:appointment_uuid>/status/", _appointment, status=405),
    Route("schedule/appointments/<uuid:appointment_uuid>/cancel/", _appointment, status=405),
    Route("schedule/appointments/<uuid:appointment_uuid>/video-link/", _appointment, status=405),
    Route("schedule/availability/<uuid:row_uuid>/remove/", _availability, status=405),
    Route("schedule/availability/exceptions/<uuid:row_uuid>/remove/", _exception, status=405),
    Route("api/v1/scheduling/appointments/<uuidstr:appointment_uuid>", _appointment),
    Route(
        "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/status",
        _appointment,
        status=405,
    ),
    Route(
        "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/cancel",
        _appointment,
        status=405,
    ),
]
