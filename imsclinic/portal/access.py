"""Portal access: a signed-in patient sees only their own record."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


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
        return view(request, patient, *args, **kwargs)

    return wrapper
