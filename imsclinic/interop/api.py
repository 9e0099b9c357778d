"""FHIR R4 endpoints, mounted at /api/v1/fhir by imsclinic.api.

Reads return `application/fhir+json`. Ids are record UUIDs (see interop/fhir/common.py). The
gateway as the UI loads every record (gateway.records): another clinic's id is a 404, front desk
gets a 403 for clinical resources, practitioners get a 403 for billing resources (front desk and
clinic admins bill), integration tokens need the `fhir` scope, and every read of a patient's data
(Patient, `$everything`, each clinical or billing resource) logs one chart access row.
"""

from __future__ import annotations

import json
import uuid

from django.db import IntegrityError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router
from ninja.errors import HttpError

from imsclinic.accounts.models import Clinic, Membership, User
from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.core.downloads import attachment
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import api_loads
from imsclinic.interop import bulk
from imsclinic.interop.fhir import importer
from imsclinic.interop.fhir.collect import everything_bundle, everything_json
from imsclinic.interop.fhir.common import (
    FHIR_JSON,
    FHIR_NDJSON,
    strict_validation,
    to_json,
    validating,
)
from imsclinic.interop.fhir.organization import find_payer, organization
from imsclinic.interop.fhir.patient import patient as patient_resource
from imsclinic.interop.fhir.practitioner import practitioner, practitioner_role
from imsclinic.interop.fhir.questionnaire import questionnaire
from imsclinic.interop.fhir.read import (
    BILLING_TYPES,
    CLINICAL_TYPES,
    read_billing,
    read_clinical,
)
from imsclinic.patients.models import Patient

router = Router(tags=["fhir"], auth=api_auth)

ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
FHIR_RESPONSES = {
    200: {
        "description": "A FHIR R4 resource",
        "content": {FHIR_JSON: {"schema": {"type": "object"}}},
    }
}


def fhir_response(resource, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(to_json(resource), status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _guard(request, scope: str = "fhir") -> None:
    require_staff(request)
    require_scope(request, scope)


def _base_url(request) -> str:
    return request.build_absolute_uri("/api/v1/fhir").rstrip("/")


def _fhir_patient(what: str, *, clinical: bool):
    return api_loads(
        "patient",
        Patient,
        what,
        path_param="patient_uuid",
        clinical=clinical,
        scope="fhir",
        select=("clinic",),
    )


@router.get("/Patient/{uuid:patient_uuid}", openapi_extra={"responses": FHIR_RESPONSES})
@_fhir_patient("fhir.Patient", clinical=False)
def read_patient(request, patient):
    """A patient's demographics as a FHIR Patient."""
    return fhir_response(patient_resource(patient))


VALIDATE_QUERY = Query(False, alias="validate")


@router.get("/Patient/{uuid:patient_uuid}/$everything", openapi_extra={"responses": FHIR_RESPONSES})
@_fhir_patient("fhir.everything", clinical=True)
def patient_everything(request, patient, strict: bool = VALIDATE_QUERY):
    """Everything about one patient as a searchset Bundle: Patient, Organization, Practitioner,
    PractitionerRole, Encounter, Condition, Procedure, Device, Observation, Questionnaire,
    QuestionnaireResponse, Consent, AdverseEvent and CarePlan; for a caller who bills at the
    patient's clinic (clinic admin) also Coverage, Invoice, ChargeItem, PaymentReconciliation,
    Claim, ClaimResponse and the payers' Organizations.

    `validate=true` also validates every resource and the Bundle with the fhir.resources R4B
    classes before answering (a debugging aid: several times slower; an invalid mapping is a
    server error)."""
    bills = request.user.has_role(patient.clinic_id, *BILLING_ROLES)
    with strict_validation(strict):
        if validating():  # the whole Bundle is validated before any of it is sent
            bundle = everything_bundle(patient, base_url=_base_url(request), billing=bills)
            return fhir_response(bundle)
    # Built while it is sent, after this view has returned: outside any transaction, never
    # whole in memory, and yielding the interpreter lock to the worker's other requests.
    return StreamingHttpResponse(
        everything_json(patient, base_url=_base_url(request), billing=bills),
        content_type=FHIR_JSON,
    )


@router.get("/Practitioner/{uuid:user_uuid}", openapi_extra={"responses": FHIR_RESPONSES})
def read_practitioner(request, user_uuid: uuid.UUID):
    """A staff member of one of the caller's clinics."""
    _guard(request)
    user = get_object_or_404(
        User.objects.filter(
            memberships__clinic_id__in=request.user.staff_clinic_ids(),
            memberships__is_active=True,
        ).distinct(),
        uuid=user_uuid,
    )
    return fhir_response(practitioner(user))


@router.get("/PractitionerRole/{role_id}", openapi_extra={"responses": FHIR_RESPONSES})
def read_practitioner_role(
    request, role_id: str = Path(..., pattern=r"^[0-9a-f\-]{36}-[0-9a-f]{8}$")
):
    """A staff member's role at one clinic; the id is "<user uuid>-<first 8 hex of clinic uuid>"."""
    _guard(request)
    try:
        user_uuid = uuid.UUID(role_id[:36])
    except ValueError as exc:
        raise HttpError(404, "Not Found") from exc
    memberships = Membership.objects.filter(
        user__uuid=user_uuid,
        clinic_id__in=request.user.staff_clinic_ids(),
        is_active=True,
    ).select_related("user", "clinic")
    matching = [m for m in memberships if m.clinic.uuid.hex[:8] == role_id[37:]]
    if not matching:
        raise HttpError(404, "Not Found")
    first = matching[0]
    return fhir_response(practitioner_role(first.user, first.clinic, {m.role for m in matching}))


@router.get("/Organization/{uuid:clinic_uuid}", openapi_extra={"responses": FHIR_RESPONSES})
def read_organization(request, clinic_uuid: uuid.UUID):
    """One of the caller's clinics, or an insurer or board named on their clinics' coverages."""
    _guard(request)
    clinic_ids = request.user.staff_clinic_ids()
    clinic = Clinic.objects.filter(uuid=clinic_uuid, pk__in=clinic_ids).first()
    if clinic is not None:
        return fhir_response(organization(clinic))
    payer = find_payer(clinic_ids, str(clinic_uuid))
    if payer is None:
        raise HttpError(404, "Not Found")
    return fhir_response(payer)


@router.get("/Questionnaire/{questionnaire_id}", openapi_extra={"responses": FHIR_RESPONSES})
def read_questionnaire(request, questionnaire_id: str = Path(..., pattern=ID_PATTERN)):
    """An outcome instrument from the knowledge base (licensed wording is never included)."""
    from imsclinic.knowledge import load_knowledge

    _guard(request)
    for instrument in load_knowledge().instruments.values():
        resource = questionnaire(instrument)
        if resource["id"] == questionnaire_id:
            return fhir_response(resource)
    raise HttpError(404, "Not Found")


def _clinical_reader(resource_type: str):
    def read(request, resource_id: str = Path(..., pattern=ID_PATTERN)):
        _guard(request)
        return fhir_response(read_clinical(request, resource_type, resource_id))

    read.__name__ = f"read_{resource_type.lower()}"
    read.__doc__ = f"A FHIR {resource_type} by id (clinical roles only)."
    return read


for _type in CLINICAL_TYPES:
    router.get(
        f"/{_type}/{{resource_id}}",
        operation_id=f"fhir_read_{_type.lower()}",
        openapi_extra={"responses": FHIR_RESPONSES},
    )(_clinical_reader(_type))


def _billing_reader(resource_type: str):
    def read(request, resource_id: str = Path(..., pattern=ID_PATTERN)):
        _guard(request)
        return fhir_response(read_billing(request, resource_type, resource_id))

    read.__name__ = f"read_{resource_type.lower()}"
    read.__doc__ = f"A FHIR {resource_type} by id (front desk and clinic admins)."
    return read


for _type in BILLING_TYPES:
    router.get(
        f"/{_type}/{{resource_id}}",
        operation_id=f"fhir_read_{_type.lower()}",
        openapi_extra={"responses": FHIR_RESPONSES},
    )(_billing_reader(_type))


# ---- import (onboarding) -------------------------------------------------------------------
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FHIR_JSON: {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    "responses": {
        201: {"description": "Created", "content": {FHIR_JSON: {"schema": {"type": "object"}}}},
        422: {"description": "OperationOutcome listing every problem"},
    },
}


def _json_body(request) -> dict:
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise importer.ImportProblem([("", f"The body is not JSON: {exc}")]) from exc
    if not isinstance(payload, dict):
        raise importer.ImportProblem([("", "The body must be a FHIR resource (a JSON object).")])
    return payload


def _import_clinic(request, clinic_uuid) -> Clinic:
    clinic_ids = request.user.staff_clinic_ids()
    if clinic_uuid:
        return get_object_or_404(Clinic, uuid=clinic_uuid, pk__in=clinic_ids)
    if len(clinic_ids) == 1:
        return Clinic.objects.get(pk=clinic_ids[0])
    raise importer.ImportProblem([("clinic", "You work at several clinics: add ?clinic=<uuid>.")])


def _import(request, clinic_uuid, *, bundle: bool):
    _guard(request, "write")
    require_scope(request, "fhir")
    try:
        clinic = _import_clinic(request, clinic_uuid)
        payload = _json_body(request)
        created = importer.import_payload(
            clinic=clinic, by=request.user, payload=payload, bundle=bundle
        )
    except importer.ImportProblem as problem:
        return HttpResponse(to_json(problem.outcome()), status=422, content_type=FHIR_JSON)
    except IntegrityError as exc:
        raise HttpError(409, "A chart number was taken meanwhile; please retry.") from exc
    base = _base_url(request)
    if not bundle:
        resource = patient_resource(created[0])
        return fhir_response(resource, 201, Location=f"{base}/Patient/{resource['id']}")
    return fhir_response(importer.response_bundle(created, base), 200)


@router.post("/Patient", openapi_extra=IMPORT_BODY)
def import_patient(request, clinic: uuid.UUID | None = None):
    """Onboard one patient from a FHIR R4 Patient (needs `write` and `fhir` scopes)."""
    return _import(request, clinic, bundle=False)


@router.post("", openapi_extra=IMPORT_BODY)
def import_bundle(request, clinic: uuid.UUID | None = None):
    """Onboard patients from a FHIR Bundle (batch, transaction or collection) of Patient
    entries. All or nothing: one invalid entry refuses the whole Bundle with a 422."""
    return _import(request, clinic, bundle=True)


# ---- bulk export ---------------------------------------------------------------------------
TYPE_QUERY = Query(None, alias="_type", pattern=r"^[A-Za-z]{1,40}$")


@router.get(
    "/$export",
    openapi_extra={
        "responses": {
            200: {
                "description": "NDJSON of one type, or a zip of <Type>.ndjson files",
                "content": {
                    FHIR_NDJSON: {"schema": {"type": "string"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def bulk_export(
    request,
    clinic: uuid.UUID | None = None,
    resource_type: str | None = TYPE_QUERY,
):
    """Whole-clinic export (clinic admins only, audited): all resources as a zip of
    `<ResourceType>.ndjson`, or with `_type=Patient` one type as `application/fhir+ndjson`."""
    _guard(request)
    target = bulk.admin_clinic(request, clinic)
    if resource_type is not None and resource_type not in bulk.EXPORT_TYPES:
        raise HttpError(422, f"_type must be one of {', '.join(bulk.EXPORT_TYPES)}.")
    if resource_type:
        lines = bulk.ndjson_lines(target, request.user, resource_type)
        return StreamingHttpResponse(lines, content_type=FHIR_NDJSON)
    data = bulk.ndjson_zip(target, request.user)
    return attachment(HttpResponse(data, content_type="application/zip"), f"{target.slug}-fhir.zip")
