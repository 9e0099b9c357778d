"""Non-FHIR JSON endpoints of the interop area: practitioners and whole-clinic exports.

Mounted by imsclinic.api at /api/v1/practitioners and /api/v1/exports.
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from imsclinic.accounts.models import Membership, User
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.core.downloads import attachment
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.interop import bulk
from imsclinic.interop.csv_export import csv_zip

practitioners_router = Router(tags=["practitioners"], auth=api_auth)
exports_router = Router(tags=["exports"], auth=api_auth)


class RoleOut(Schema):
    clinic: uuid.UUID
    clinic_name: str
    role: str


class PractitionerOut(Schema):
    uuid: uuid.UUID
    username: str
    display_name: str
    email: str
    roles: list[RoleOut]
    fhir: str


def _staff_of_my_clinics(request):
    return User.objects.filter(
        memberships__clinic_id__in=request.user.staff_clinic_ids(),
        memberships__is_active=True,
        is_active=True,
    ).distinct()


def _out(user, clinic_ids) -> dict:
    memberships = [m for m in user.memberships.all() if m.is_active and m.clinic_id in clinic_ids]
    return {
        "uuid": user.uuid,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "roles": [
            {"clinic": m.clinic.uuid, "clinic_name": m.clinic.name, "role": m.role}
            for m in memberships
        ],
        "fhir": f"/api/v1/fhir/Practitioner/{user.uuid}",
    }


@practitioners_router.get("", response=list[PractitionerOut])
@paginate(BoundedPagination)
def list_practitioners(request, role: str | None = None):
    """Staff of the caller's clinics with their roles; `role` filters (e.g. practitioner)."""
    require_staff(request)
    require_scope(request, "read")
    clinic_ids = set(request.user.staff_clinic_ids())
    users = _staff_of_my_clinics(request)
    if role:
        users = users.filter(memberships__role=role, memberships__clinic_id__in=clinic_ids)
    users = users.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("clinic"))
    ).order_by("last_name", "first_name", "id")
    return [_out(user, clinic_ids) for user in users]


@practitioners_router.get("/{uuid:user_uuid}", response=PractitionerOut)
def get_practitioner(request, user_uuid: uuid.UUID):
    require_staff(request)
    require_scope(request, "read")
    user = get_object_or_404(_staff_of_my_clinics(request), uuid=user_uuid)
    return _out(user, set(request.user.staff_clinic_ids()))


@exports_router.get(
    "/csv",
    openapi_extra={
        "responses": {
            200: {
                "description": "A zip of CSV files, one per table",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_csv(request, clinic: uuid.UUID | None = None):
    """Whole-clinic CSV export (clinic admins only, audited): patients, appointments,
    assessments, courses, sessions, needling rows, adverse events and outcome responses."""
    require_staff(request)
    require_scope(request, "read")
    target = bulk.admin_clinic(request, clinic)
    response = HttpResponse(csv_zip(target, request.user), content_type="application/zip")
    return attachment(response, f"{target.slug}-csv.zip")
