"""Clinic administration over the JSON API, mounted at /api/v1/admin by imsclinic.api.

The same actions as the pages: a clinic admin (and, for integration tokens, the "admin" scope)
lists staff and sets their roles, and lists, adds and changes services. The clinic is the
token's clinic for integration tokens, else the `clinic` query parameter (a clinic the person
works at, else 404), else the session's active clinic. A refused change is a 409 with its reason.
"""

import uuid
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from imsclinic.accounts.models import Clinic, Role, User
from imsclinic.clinics import actions
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.scheduling.models import Kind, Mode, Service

router = Router(tags=["clinic administration"], auth=api_auth)

HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
# Money travels as a decimal string ("95.00"), never a float; the pattern is the whole rule, so
# the schema says exactly what is accepted.
Price = Annotated[str, Field(pattern=r"^[0-9]{1,8}(\.[0-9]{1,2})?$", examples=["95.00"])]
# A video service's room: https only (the model's validator says the same in words).
VideoLink = Annotated[str, Field(max_length=500, pattern=r"^(https://\S+)?$")]


class StaffOut(Schema):
    uuid: uuid.UUID
    username: str
    display_name: str
    email: str
    roles: list[Role]
    has_password: bool


class RolesIn(Schema):
    roles: list[Role] = Field(..., min_length=1, max_length=3)


class ServiceOut(Schema):
    uuid: uuid.UUID
    name: str
    kind: Kind
    mode: Mode
    duration_minutes: int
    buffer_minutes: int
    colour: str
    bookable_online: bool
    price: Decimal
    currency: str
    position: int
    is_active: bool
    video_url: str


class ServiceIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    kind: Kind
    mode: Mode = Mode.IN_CLINIC
    duration_minutes: Annotated[int, Field(ge=5, le=480)]
    buffer_minutes: Annotated[int, Field(ge=0, le=120)] = 0
    colour: HexColour = "#2f6f8f"
    bookable_online: bool = False
    price: Price = "0.00"
    position: Annotated[int, Field(ge=0, le=32767)] = 0
    video_url: VideoLink = ""


class ServicePatch(Schema):
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    kind: Kind | None = None
    mode: Mode | None = None
    duration_minutes: Annotated[int, Field(ge=5, le=480)] | None = None
    buffer_minutes: Annotated[int, Field(ge=0, le=120)] | None = None
    colour: HexColour | None = None
    bookable_online: bool | None = None
    price: Price | None = None
    position: Annotated[int, Field(ge=0, le=32767)] | None = None
    is_active: bool | None = None
    video_url: VideoLink | None = None


class AdminRefusal(Schema):
    detail: str


def _clinic(request, clinic: uuid.UUID | None) -> Clinic:
    """The clinic the request is about (see the module's docstring); not yet the role check."""
    require_staff(request)
    require_scope(request, "admin")
    token = getattr(request, "api_token", None)
    staff_clinics = Clinic.objects.filter(pk__in=request.user.staff_clinic_ids())
    if token is not None and token.clinic_id:
        chosen = token.clinic
        if clinic is not None and clinic != chosen.uuid:
            raise Http404("No such clinic.")
    elif clinic is not None:
        chosen = staff_clinics.filter(uuid=clinic).first()
        if chosen is None:
            raise Http404("No such clinic.")
    else:
        chosen = getattr(request, "clinic", None) or staff_clinics.order_by("pk").first()
    return chosen


def _require_admin(request, clinic) -> None:
    if not request.user.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only a clinic admin may manage the clinic.")


def _admin_clinic(request, clinic: uuid.UUID | None) -> Clinic:
    chosen = _clinic(request, clinic)
    _require_admin(request, chosen)
    return chosen


def _staff_out(user, clinic) -> dict:
    return {
        "uuid": user.uuid,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "roles": sorted(
            m.role for m in user.memberships.all() if m.clinic_id == clinic.pk and m.is_active
        ),
        "has_password": user.has_usable_password(),
    }


def _staff_queryset(clinic):
    return (
        User.objects.filter(memberships__clinic=clinic, memberships__is_active=True, is_active=True)
        .exclude(pk__in=actions.integration_user_ids())
        .distinct()
        .prefetch_related("memberships")
        .order_by("last_name", "first_name", "username")
    )


@router.get("/staff", response=list[StaffOut])
def list_staff(request, clinic: uuid.UUID | None = None):
    """The clinic's active staff with their roles there."""
    chosen = _admin_clinic(request, clinic)
    return [_staff_out(user, chosen) for user in _staff_queryset(chosen)[:1000]]


@router.get("/staff/{uuid:user_uuid}", response=StaffOut)
def get_staff(request, user_uuid: uuid.UUID, clinic: uuid.UUID | None = None):
    chosen = _clinic(request, clinic)
    person = get_object_or_404(_staff_queryset(chosen), uuid=user_uuid)  # 404 before 403
    _require_admin(request, chosen)
    return _staff_out(person, chosen)


@router.put("/staff/{uuid:user_uuid}", response={200: StaffOut, 409: AdminRefusal})
def set_staff_roles(
    request, user_uuid: uuid.UUID, payload: RolesIn, clinic: uuid.UUID | None = None
):
    """Make `roles` exactly the person's roles at the clinic. Refused (409) when it would leave
    the clinic without a clinic admin."""
    chosen = _clinic(request, clinic)
    person = get_object_or_404(_staff_queryset(chosen), uuid=user_uuid)
    _require_admin(request, chosen)
    try:
        actions.set_roles(clinic=chosen, user=person, roles=set(payload.roles), by=request.user)
    except actions.AdminError as exc:
        return Status(409, {"detail": exc.message})
    return _staff_out(User.objects.prefetch_related("memberships").get(pk=person.pk), chosen)


def _service_out(service) -> dict:
    return {name: getattr(service, name) for name in ServiceOut.model_fields}


@router.get("/services", response=list[ServiceOut])
def list_services(request, clinic: uuid.UUID | None = None):
    """All the clinic's services, those no longer offered included (is_active false)."""
    chosen = _admin_clinic(request, clinic)
    return [
        _service_out(s) for s in Service.objects.filter(clinic=chosen).order_by("position", "name")
    ]


@router.post("/services", response={201: ServiceOut, 409: AdminRefusal})
def create_service(request, payload: ServiceIn, clinic: uuid.UUID | None = None):
    chosen = _admin_clinic(request, clinic)
    try:
        fields = payload.dict()
        fields["price"] = Decimal(fields["price"])
        service = actions.create_service(clinic=chosen, by=request.user, **fields)
    except actions.AdminError as exc:
        return Status(409, {"detail": exc.message})
    return Status(201, _service_out(service))


@router.get("/services/{uuid:service_uuid}", response=ServiceOut)
def get_service(request, service_uuid: uuid.UUID, clinic: uuid.UUID | None = None):
    chosen = _clinic(request, clinic)
    service = get_object_or_404(Service, clinic=chosen, uuid=service_uuid)
    _require_admin(request, chosen)
    return _service_out(service)


@router.patch("/services/{uuid:service_uuid}", response={200: ServiceOut, 409: AdminRefusal})
def update_service(
    request, service_uuid: uuid.UUID, payload: ServicePatch, clinic: uuid.UUID | None = None
):
    """Change some fields of a service; `is_active: false` stops offering it."""
    chosen = _clinic(request, clinic)
    service = get_object_or_404(Service, clinic=chosen, uuid=service_uuid)
    _require_admin(request, chosen)
    try:
        fields = payload.dict(exclude_none=True)
        if "price" in fields:
            fields["price"] = Decimal(fields["price"])
        service = actions.update_service(service=service, by=request.user, **fields)
    except actions.AdminError as exc:
        return Status(409, {"detail": exc.message})
    return _service_out(service)
