"""Portal access: a signed-in patient sees only their own record."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import timezone


def portal_patient_required(view):
    """The view receives the signed-in user's own Patient record as `patient`."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        patient = getattr(request.user, "patient_record", None)
        if patient is None:
            raise PermissionDenied(
                "The portal is for patients with an invitation from their clinic."
            )
        # Patients see times in their clinic's zone (the middleware resets it afterwards).
        timezone.activate(patient.clinic.tz)
        return view(request, patient, *args, **kwargs)

    return wrapper
