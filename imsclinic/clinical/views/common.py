"""Helpers shared by the clinical views: loading records through the access getters."""

import functools

from django.contrib import messages
from django.shortcuts import redirect

from imsclinic.audit.services import log_chart_access
from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused
from imsclinic.core.access import get_for_user, staff_required


def record_view(model, what: str, *, url_kwarg: str, select=("patient", "clinic")):
    """Load a clinical record by UUID (404 for other clinics, 403 for front desk), log one chart
    access row and pass the record to the view."""

    def decorator(view):
        @staff_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            obj = get_for_user(
                request,
                model.objects.select_related(*select),
                clinical=True,
                uuid=kwargs.pop(url_kwarg),
            )
            log_chart_access(user=request.user, patient=obj.patient, what=what)
            return view(request, obj, *args, **kwargs)

        return wrapper

    return decorator


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
