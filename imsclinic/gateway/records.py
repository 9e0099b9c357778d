"""The one gateway to patient data: every read of a record goes through `load()`.

`load()` does four things, in this order, for HTML pages, the JSON API, FHIR, exports, PDFs,
the portal, calendar feeds and CSV alike:

1. scopes to the clinic: staff see records of the clinics where they hold an active role, a
   portal patient only their own; anything else is a 404, so a guessed UUID from another clinic
   is indistinguishable from one that does not exist;
2. authorises by role: `clinical=True` refuses front desk (403); `roles=` narrows further (403);
3. writes exactly one access-log row (`audit.ChartAccess`) naming the patient and `what`;
4. returns the record.

The decorators below wrap it: `loads` (and its two spellings `chart_view`, `record_view`) for
Django views, `portal_view` for the patient's own pages, `api_loads` for django-ninja operations.
A view that loads through one of them must not call `load()` again: one read, one row.
"""

from __future__ import annotations

import functools
import inspect
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from imsclinic.audit.services import log_chart_access
from imsclinic.core.access import scope_to_user, staff_required
from imsclinic.gateway.api_auth import require_scope, require_staff
from imsclinic.patients.models import Patient


def load(
    request,
    model,
    public_id,
    *,
    what: str,
    clinical: bool = False,
    roles: tuple[str, ...] = (),
    select: tuple[str, ...] = (),
    prefetch: tuple[str, ...] = (),
    portal: bool = False,
):
    """The record of `model` whose public UUID is `public_id`, if `request.user` may read it.

    404 outside the user's clinics (or, with `portal`, outside the patient's own record), 403 for
    a role that may not read it, and one `ChartAccess` row for every record that belongs to a
    patient. Records that hold no patient data (a practitioner's hours) are scoped and checked
    the same way but not logged.
    """
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    try:
        wanted = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError as exc:
        raise Http404("No such record.") from exc
    queryset = model._default_manager.all()
    if select:
        queryset = queryset.select_related(*select)
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    if portal:
        own = getattr(user, "patient_record", None)
        if own is None:
            raise PermissionDenied(
                "The portal is for patients with an invitation from their clinic."
            )
        queryset = queryset.filter(pk=own.pk) if model is Patient else queryset.filter(patient=own)
    else:
        queryset = queryset.filter(clinic_id__in=user.staff_clinic_ids())
    try:
        # get(), not first(): the UUID is unique, and first() would order by the model's default
        # ordering (a patient's names), which only costs compiling on every chart page.
        record = queryset.get(uuid=wanted)
    except model.DoesNotExist as exc:
        raise Http404("No such record.") from exc
    if not portal:
        if clinical and not user.can_view_clinical(record.clinic_id):
            raise PermissionDenied("Clinical records are not available to your role.")
        if roles and not user.has_role(record.clinic_id, *roles):
            raise PermissionDenied("Your role at this clinic does not allow this.")
    patient = patient_of(record)
    if patient is not None:
        log_chart_access(user=user, patient=patient, what=what)
    return record


def patient_of(record) -> Patient | None:
    if isinstance(record, Patient):
        return record
    if getattr(record, "patient_id", None) is None:
        return None
    return record.patient


def log_reads(*, user, patients, what: str) -> None:
    """Log a read that is not one record by UUID: a calendar feed covers several patients.

    Scoping is the caller's job (a feed shows only its practitioner's appointments); this writes
    one access row per patient, in one transaction, so each patient's access log shows the read.
    """
    with transaction.atomic():
        for patient in {p.pk: p for p in patients}.values():
            log_chart_access(user=user, patient=patient, what=what)


# ---- Django views --------------------------------------------------------------------------
def loads(
    model,
    what: str,
    *,
    url_kwarg: str,
    clinical: bool = False,
    roles: tuple[str, ...] = (),
    select: tuple[str, ...] = (),
    prefetch: tuple[str, ...] = (),
):
    """Decorate a staff view: load the record named by the URL's `url_kwarg` through `load()`
    and pass it to the view in its place (first positional argument after `request`)."""

    def decorator(view):
        @staff_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            record = load(
                request,
                model,
                kwargs.pop(url_kwarg),
                what=what,
                clinical=clinical,
                roles=roles,
                select=select,
                prefetch=prefetch,
            )
            return view(request, record, *args, **kwargs)

        return wrapper

    return decorator


def chart_view(what: str, *, clinical: bool = False, roles: tuple[str, ...] = ()):
    """A patient-chart page: `<uuid:patient_uuid>` in the URL, the view receives `patient`."""
    return loads(
        Patient, what, url_kwarg="patient_uuid", clinical=clinical, roles=roles, select=("clinic",)
    )


def record_view(model, what: str, *, url_kwarg: str, select=("patient", "clinic")):
    """A clinical record's page (assessment, session, consent...): clinical roles only."""
    return loads(model, what, url_kwarg=url_kwarg, clinical=True, select=tuple(select))


def staff_see_only_whether_it_exists(request, model, object_uuid) -> None:
    """On a portal route about one record (an invoice, an appointment, a waitlist entry): staff
    are refused by `portal_view` (403), but another clinic's record is a 404 to them as on every
    route. Only whether it exists at their clinics is looked up: staff read nothing here, so
    nothing is logged. Call it before the `portal_view` view."""
    if getattr(request.user, "patient_record", None) is None and request.user.is_clinic_staff:
        if not scope_to_user(model.objects, request.user).filter(uuid=object_uuid).exists():
            raise Http404


def portal_view(what: str):
    """A portal page: the view receives the signed-in patient's own record as `patient`."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            own = getattr(request.user, "patient_record", None)
            if own is None:
                raise PermissionDenied(
                    "The portal is for patients with an invitation from their clinic."
                )
            patient = load(request, Patient, own.uuid, what=what, select=("clinic",), portal=True)
            # Patients see times in their clinic's zone (the middleware resets it afterwards).
            timezone.activate(patient.clinic.tz)
            return view(request, patient, *args, **kwargs)

        return wrapper

    return decorator


# ---- django-ninja operations ---------------------------------------------------------------
def api_loads(
    param: str,
    model,
    what: str,
    *,
    path_param: str,
    clinical: bool = False,
    roles: tuple[str, ...] = (),
    scope: str = "read",
    select: tuple[str, ...] = (),
    prefetch: tuple[str, ...] = (),
):
    """Decorate a ninja operation (below `@router.get(...)`): staff and token `scope` checks, then
    `load()` the record named by the path's `path_param` and pass it as the view's `param`.

    The operation is written `def op(request, patient, ...)`; ninja sees `path_param: UUID` in its
    place, so the OpenAPI schema and validation stay those of the path.
    """

    def decorator(view):
        signature = inspect.signature(view)
        parameters = [
            inspect.Parameter(
                path_param, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=uuid.UUID
            )
            if p.name == param
            else p
            for p in signature.parameters.values()
        ]

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            require_staff(request)
            require_scope(request, scope)
            kwargs[param] = load(
                request,
                model,
                kwargs.pop(path_param),
                what=what,
                clinical=clinical,
                roles=roles,
                select=select,
                prefetch=prefetch,
            )
            return view(request, *args, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=parameters)
        return wrapper

    return decorator
