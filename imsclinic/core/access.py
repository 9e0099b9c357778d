"""Who may open a page at all: signed-in staff, or staff holding a role.

These look only at the signed-in user, never at a record. Loading a record (clinic scope, role,
access log) is the gateway's job: imsclinic.gateway.records.load and its decorators.
"""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


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
    """Restrict a list's queryset to the clinics where `user` holds a role."""
    return queryset.filter(**{f"{clinic_field}_id__in": user.staff_clinic_ids()})
