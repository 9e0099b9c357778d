"""Helpers shared by the clinical views. (Records load through imsclinic.gateway.records.)"""

from django.contrib import messages
from django.shortcuts import redirect

from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused


def refuse_to(request, error, url):
    """Show why an action was refused and go back to `url`."""
    if isinstance(error, SigningRefused):
        for reason in error.reasons:
            messages.error(request, reason)
    elif isinstance(error, ClinicalError | RecordLocked):
        messages.error(request, str(error))
    return redirect(url)


def appointment_from_post(request, patient):
    """The appointment a record was started from (Today page), if it is this patient's."""
    import uuid

    from imsclinic.scheduling.models import Appointment

    try:
        appointment_uuid = uuid.UUID(request.POST.get("appointment", ""))
    except ValueError:
        return None
    return Appointment.objects.filter(uuid=appointment_uuid, patient=patient).first()
