"""Permission-aware loading. A view loads a record only through these helpers.

Rules, in one place:
- Staff see records of the clinics where they hold an active role; anything else is a 404, so a
  guessed UUID from another clinic is indistinguishable from one that does not exist.
- Front desk sees demographics and appointments, never clinical notes: clinical views ask for
  `clinical=True` and front desk gets a 403 there.
- A portal patient sees only their own record, through the portal's own views.
"""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from imsclinic.audit.services import log_chart_access


def staff_required(view):
    """Signed-in clinic staff only. Anonymous users are sent to login; others get 403."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_clinic_staff:
            raise PermissionDenied("This page is for clinic staff.")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*roles):
    """Staff holding one of `roles` at the active clinic."""

    def decorator(view):
        @staff_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_role(request.clinic, *roles):
                raise PermissionDenied("Your role at this clinic does not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def scope_to_user(queryset, user, *, clinic_field: str = "clinic"):
    """Restrict a queryset to the clinics where `user` holds a role."""
    return queryset.filter(**{f"{clinic_field}_id__in": user.staff_clinic_ids()})


def get_for_user(request, queryset, *, clinical: bool = False, clinic_field="clinic", **lookup):
    """Load one clinic-scoped object or 404; with `clinical`, refuse roles that may not read it."""
    obj = get_object_or_404(
        scope_to_user(queryset, request.user, clinic_field=clinic_field), **lookup
    )
    if clinical:
        clinic_id = _clinic_id_of(obj, clinic_field)
        if not request.user.can_view_clinical(clinic_id):
            raise PermissionDenied("Clinical records are not available to your role.")
    return obj


def _clinic_id_of(obj, clinic_field: str) -> int:
    value = obj
    for part in clinic_field.split("__"):
        value = getattr(value, part)
    return value.pk


def get_patient_for_user(request, patient_uuid, *, clinical: bool = False):
    from imsclinic.patients.models import Patient

    return get_for_user(
        request, Patient.objects.select_related("clinic"), clinical=clinical, uuid=patient_uuid
    )


def chart_view(what: str, *, clinical: bool = False, roles: tuple[str, ...] = ()):
    """Decorate a patient-chart view: load the patient with access checks, log one access row.

    `roles` narrows the view to staff holding one of them at the patient's clinic. The wrapped
    view receives `patient` instead of `patient_uuid`.
    """

    def decorator(view):
        @staff_required
        @functools.wraps(view)
        def wrapper(request, patient_uuid, *args, **kwargs):
            patient = get_patient_for_user(request, patient_uuid, clinical=clinical)
            if roles and not request.user.has_role(patient.clinic_id, *roles):
                raise PermissionDenied("Your role at this clinic does not allow this.")
            log_chart_access(user=request.user, patient=patient, what=what)
            return view(request, patient, *args, **kwargs)

        return wrapper

    return decorator
