"""JSON API routes for patients, mounted under /api/v1/patients by imsclinic.api."""

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from imsclinic.accounts.models import Clinic, Role
from imsclinic.core.access import scope_to_user
from imsclinic.core.api_errors import raise_form_errors
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import api_loads
from imsclinic.patients import actions
from imsclinic.patients.duplicates import find_duplicates
from imsclinic.patients.forms import PatientForm
from imsclinic.patients.merge import MergeError, merge_patients
from imsclinic.patients.models import Patient
from imsclinic.patients.schemas import (
    DuplicateCandidate,
    MergeOutcome,
    MergeRefusal,
    MergeRequest,
    PatientCreate,
    PatientPublic,
)

router = Router(tags=["patients"], auth=api_auth)


@router.get("", response=list[PatientPublic])
@paginate(BoundedPagination)
def list_patients(request, q: str = Query("", max_length=100)):
    """Patients of the caller's clinics; `q` searches name prefix, birth date or phone."""
    require_staff(request)
    require_scope(request, "read")
    patients = scope_to_user(Patient.objects.select_related("clinic"), request.user)
    return patients.search(q).order_by("family_name", "given_name", "id")


@router.get("/{uuid:patient_uuid}", response=PatientPublic)
@api_loads("patient", Patient, "api.patient", path_param="patient_uuid", select=("clinic",))
def get_patient(request, patient):
    return patient


@router.post("", response={201: PatientPublic})
def create_patient(request, payload: PatientCreate):
    """Register a patient, with the same validation as the registration form."""
    require_staff(request)
    require_scope(request, "write")
    clinic_ids = request.user.staff_clinic_ids()
    if payload.clinic:
        clinic = get_object_or_404(Clinic, uuid=payload.clinic, pk__in=clinic_ids)
    elif len(clinic_ids) == 1:
        clinic = Clinic.objects.get(pk=clinic_ids[0])
    else:
        raise HttpError(422, "You work at several clinics: say which one in 'clinic'.")
    data = payload.dict(exclude={"clinic"})
    form = PatientForm(data=data, clinic=clinic)
    if not form.is_valid():
        raise_form_errors(form)
    patient = actions.create_patient(clinic=clinic, by=request.user, fields=form.cleaned_data)
    return Status(201, patient)


@router.get("/{uuid:patient_uuid}/duplicates", response=list[DuplicateCandidate])
@api_loads(
    "patient", Patient, "api.patient.duplicates", path_param="patient_uuid", select=("clinic",)
)
def list_duplicates(request, patient):
    """Active charts of the same clinic that may be this same person: the same name (case,
    accents and common nicknames ignored) with the same birth date, email or phone."""
    return find_duplicates(
        clinic=patient.clinic,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        email=patient.email,
        phone=patient.phone,
        exclude=patient,
    )


@router.post(
    "/{uuid:patient_uuid}/merge",
    response={200: MergeOutcome, 404: MergeRefusal, 409: MergeRefusal},
)
@api_loads(
    "patient",
    Patient,
    "api.patient.merge",
    path_param="patient_uuid",
    roles=(Role.CLINIC_ADMIN,),
    scope="write",
    select=("clinic",),
)
def merge(request, patient, payload: MergeRequest):
    """Merge `duplicate` into this chart (clinic admins). Appointments, requests and unsigned
    clinical records move here; signed clinical records stay on the old chart, which is closed
    and linked to this one (see docs/front-door.md)."""
    duplicate = Patient.objects.filter(uuid=payload.duplicate, clinic=patient.clinic).first()
    if duplicate is None:
        return Status(404, {"detail": "No such chart at this clinic."})
    try:
        result = merge_patients(survivor=patient, duplicate=duplicate, by=request.user)
    except MergeError as exc:
        return Status(409, {"detail": exc.message})
    return {"survivor": result.survivor, "moved": result.moved, "kept": result.kept}


@router.get("/{uuid:patient_uuid}/merge", include_in_schema=False)
@api_loads(
    "patient",
    Patient,
    "api.patient.merge",
    path_param="patient_uuid",
    roles=(Role.CLINIC_ADMIN,),
    select=("clinic",),
)
def merge_get(request, patient):
    """GET on the POST-only merge: authenticate (401), scope (404) and role (403) first, as
    every route does, before answering 405."""
    return HttpResponseNotAllowed(["POST"])
