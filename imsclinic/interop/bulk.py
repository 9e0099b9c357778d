"""Clinic-wide FHIR bulk export as NDJSON: one `<ResourceType>.ndjson` file per type.

Used by `imsclinic export fhir --out DIR`, by the admin's download page and by
GET /api/v1/fhir/$export. Every export is audited (interop.actions.record_export).
"""

from __future__ import annotations

import io
import tempfile
import uuid
import zipfile
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja.errors import HttpError

from imsclinic.accounts.models import Clinic, Role
from imsclinic.interop import actions
from imsclinic.interop.fhir.collect import Walk, clinic_record_count
from imsclinic.interop.fhir.common import to_json

EXPORT_TYPES = (
    "Patient",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Encounter",
    "Condition",
    "Procedure",
    "Device",
    "Observation",
    "Questionnaire",
    "QuestionnaireResponse",
    "Consent",
    "AdverseEvent",
    "CarePlan",
    "Coverage",
    "Invoice",
    "ChargeItem",
    "PaymentReconciliation",
    "Claim",
    "ClaimResponse",
)

# Types that several clinics of one network can share.
SHARED_TYPES = {"Practitioner", "Questionnaire"}


def admin_clinic(request, clinic_uuid: uuid.UUID | None) -> Clinic:
    """The clinic to export: one where the caller is clinic admin (403 otherwise, 404 if not
    theirs); without `clinic_uuid`, their only admin clinic."""
    admin_ids = [
        cid for cid, roles in request.user.roles_by_clinic().items() if Role.CLINIC_ADMIN in roles
    ]
    if clinic_uuid is not None:
        clinic = get_object_or_404(Clinic, uuid=clinic_uuid, pk__in=request.user.staff_clinic_ids())
        if clinic.pk not in admin_ids:
            raise HttpError(403, "Whole-clinic exports are for clinic admins.")
        return clinic
    if not admin_ids:
        raise HttpError(403, "Whole-clinic exports are for clinic admins.")
    if len(admin_ids) > 1:
        raise HttpError(422, "You administer several clinics: add ?clinic=<uuid>.")
    return Clinic.objects.get(pk=admin_ids[0])


def require_clinic_admin(user, clinic) -> None:
    if not user.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Whole-clinic exports are for clinic admins.")


def write_ndjson(clinics, out_dir: Path, *, by=None, progress=None) -> dict[str, int]:
    """Write every resource of `clinics` to out_dir/<Type>.ndjson; returns counts per type.

    Files are written under temporary names and renamed at the end, so an interrupted export
    never leaves a partial file looking complete.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    handles: dict[str, io.TextIOWrapper] = {}
    counts: dict[str, int] = {}
    # A person working at two clinics, or an instrument both use, is written once.
    shared_seen: set[tuple[str, str]] = set()
    try:
        for clinic in clinics:
            advance = (
                progress(f"FHIR {clinic.slug}"[:18], clinic_record_count(clinic))
                if progress
                else None
            )
            clinic_counts: dict[str, int] = {}
            for resource in Walk(clinic=clinic, tick=advance):
                kind = resource["resourceType"]
                if kind in SHARED_TYPES:
                    if (kind, resource["id"]) in shared_seen:
                        continue
                    shared_seen.add((kind, resource["id"]))
                if kind not in handles:
                    handles[kind] = open(out_dir / f".{kind}.ndjson.part", "w", encoding="utf-8")  # noqa: SIM115
                handles[kind].write(to_json(resource) + "\n")
                clinic_counts[kind] = clinic_counts.get(kind, 0) + 1
            for kind, n in clinic_counts.items():
                counts[kind] = counts.get(kind, 0) + n
            actions.record_export(clinic=clinic, by=by, kind="fhir_ndjson", counts=clinic_counts)
    finally:
        for handle in handles.values():
            handle.close()
    for kind in handles:
        (out_dir / f".{kind}.ndjson.part").replace(out_dir / f"{kind}.ndjson")
    return dict(sorted(counts.items()))


def ndjson_zip(clinic, user) -> bytes:
    """The clinic's export as a zip of NDJSON files (built in a temporary directory)."""
    with tempfile.TemporaryDirectory(prefix="imsclinic-fhir-") as tmp:
        write_ndjson([clinic], Path(tmp), by=user)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).glob("*.ndjson")):
                archive.write(path, path.name)
        return buffer.getvalue()


def ndjson_lines(clinic, user, resource_type: str):
    """Lines of one resource type, audited before the first line is sent."""
    actions.record_export(
        clinic=clinic, by=user, kind="fhir_ndjson", counts={resource_type: "streamed"}
    )

    def lines():
        for resource in Walk(clinic=clinic):
            if resource["resourceType"] == resource_type:
                yield to_json(resource) + "\n"

    return lines()
