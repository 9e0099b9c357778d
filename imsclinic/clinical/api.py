"""JSON API of the clinical area, mounted at /api/v1/clinical.

Read endpoints for assessments, courses, sessions (with needling rows) and adverse events, and
create-session + sign that call the same actions as the UI, so the signing refusals are the same.
Records load through the access getters: another clinic's record is a 404, front desk a 403.
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed
from ninja import Router, Status
from ninja.errors import HttpError, ValidationError

from imsclinic.clinical import actions
from imsclinic.clinical.models import (
    AdverseEvent,
    Assessment,
    CourseOfCare,
    RecordLocked,
    TreatmentSession,
)
from imsclinic.clinical.schemas import (
    AdverseEventOut,
    AssessmentOut,
    CourseOut,
    Refusal,
    SessionCreate,
    SessionOut,
)
from imsclinic.core.access import get_for_user, get_patient_for_user
from imsclinic.core.api_auth import api_auth, require_scope, require_staff
from imsclinic.knowledge import load_knowledge

router = Router(tags=["clinical"], auth=api_auth)

SESSION_RELATED = ("patient", "practitioner", "course", "clinic")


def _guard(request, scope="read"):
    require_staff(request)
    require_scope(request, scope)


def _patient(request, patient_uuid):
    try:
        return get_patient_for_user(request, patient_uuid, clinical=True)
    except PermissionDenied as error:
        raise HttpError(403, str(error)) from error


def _one(request, queryset, record_uuid):
    try:
        return get_for_user(request, queryset, clinical=True, uuid=record_uuid)
    except PermissionDenied as error:
        raise HttpError(403, str(error)) from error


def _sessions():
    return TreatmentSession.objects.select_related(*SESSION_RELATED).prefetch_related(
        "needling_rows", "adverse_events__session", "adverse_events__patient"
    )


@router.get("/patients/{uuid:patient_uuid}/assessments", response=list[AssessmentOut])
def list_assessments(request, patient_uuid: uuid.UUID):
    _guard(request)
    patient = _patient(request, patient_uuid)
    return list(
        Assessment.objects.filter(patient=patient)
        .select_related("patient", "practitioner")
        .prefetch_related("findings", "level_findings")
    )


@router.get("/assessments/{uuid:assessment_uuid}", response=AssessmentOut)
def get_assessment(request, assessment_uuid: uuid.UUID):
    _guard(request)
    queryset = Assessment.objects.select_related("patient", "practitioner")
    return _one(request, queryset.prefetch_related("findings", "level_findings"), assessment_uuid)


@router.get("/patients/{uuid:patient_uuid}/courses", response=list[CourseOut])
def list_courses(request, patient_uuid: uuid.UUID):
    _guard(request)
    patient = _patient(request, patient_uuid)
    return list(
        CourseOfCare.objects.filter(patient=patient).select_related("patient", "practitioner")
    )


@router.get("/courses/{uuid:course_uuid}", response=CourseOut)
def get_course(request, course_uuid: uuid.UUID):
    _guard(request)
    return _one(
        request, CourseOfCare.objects.select_related("patient", "practitioner"), course_uuid
    )


@router.get("/patients/{uuid:patient_uuid}/sessions", response=list[SessionOut])
def list_sessions(request, patient_uuid: uuid.UUID):
    _guard(request)
    patient = _patient(request, patient_uuid)
    return list(_sessions().filter(patient=patient))


@router.get("/sessions/{uuid:session_uuid}", response=SessionOut)
def get_session(request, session_uuid: uuid.UUID):
    _guard(request)
    return _one(request, _sessions(), session_uuid)


@router.get("/patients/{uuid:patient_uuid}/adverse-events", response=list[AdverseEventOut])
def list_adverse_events(request, patient_uuid: uuid.UUID):
    _guard(request)
    patient = _patient(request, patient_uuid)
    return list(AdverseEvent.objects.filter(patient=patient).select_related("session", "patient"))


@router.get("/adverse-events/{uuid:event_uuid}", response=AdverseEventOut)
def get_adverse_event(request, event_uuid: uuid.UUID):
    _guard(request)
    return _one(request, AdverseEvent.objects.select_related("session", "patient"), event_uuid)


def _validate(payload: SessionCreate) -> None:
    kb = load_knowledge()
    errors = []
    for index, row in enumerate(payload.rows):
        if row.muscle_id not in kb.muscles:
            errors.append(
                {
                    "loc": ["body", "rows", index, "muscle_id"],
                    "msg": f"{row.muscle_id!r} is not a muscle in the knowledge base",
                    "type": "value_error",
                }
            )
    for index, item in enumerate(payload.precheck_items):
        if item not in kb.contraindications:
            errors.append(
                {
                    "loc": ["body", "precheck_items", index],
                    "msg": f"{item!r} is not a known contraindication",
                    "type": "value_error",
                }
            )
    for index, region in enumerate(payload.precheck_regions):
        if region not in kb.body_regions:
            errors.append(
                {
                    "loc": ["body", "precheck_regions", index],
                    "msg": f"{region!r} is not a body-chart region",
                    "type": "value_error",
                }
            )
    if errors:
        raise ValidationError(errors)


@router.post("/patients/{uuid:patient_uuid}/sessions", response={201: SessionOut, 409: Refusal})
def create_session(request, patient_uuid: uuid.UUID, payload: SessionCreate):
    """Open (or continue) today's session and chart it: counts, pre-check, rows. All or nothing."""
    _guard(request, "write")
    patient = _patient(request, patient_uuid)
    _validate(payload)
    kb = load_knowledge()
    precheck = {
        "checked": payload.precheck_done,
        "items": [
            {
                "id": item,
                "regions": payload.precheck_regions
                if kb.contraindications[item].consequence == "restrict_region"
                else [],
            }
            for item in payload.precheck_items
        ],
        "notes": "",
    }
    try:
        with transaction.atomic():
            session = actions.start_session(patient=patient, by=request.user)
            actions.update_session(
                session=session,
                by=request.user,
                fields={
                    "pain_before": payload.pain_before,
                    "pain_after": payload.pain_after,
                    "needles_in": payload.needles_in,
                    "needles_out": payload.needles_out,
                    "duration_minutes": payload.duration_minutes,
                    "precheck": precheck,
                    "clean_technique": payload.clean_technique.dict(),
                    "aftercare_given": payload.aftercare_given,
                },
            )
            for row in payload.rows:
                actions.add_needling_row(session=session, by=request.user, values=row.dict())
    except (actions.ClinicalError, RecordLocked) as error:
        return Status(409, {"detail": str(error), "reasons": [str(error)]})
    return Status(201, _sessions().get(pk=session.pk))


@router.post("/sessions/{uuid:session_uuid}/sign", response={200: SessionOut, 409: Refusal})
def sign_session(request, session_uuid: uuid.UUID):
    """Sign the session; 409 with every reason when the safety rules refuse."""
    _guard(request, "write")
    session = _one(request, _sessions(), session_uuid)
    try:
        actions.sign_session(session=session, by=request.user)
    except actions.SigningRefused as error:
        return Status(409, {"detail": "The session cannot be signed.", "reasons": error.reasons})
    return _sessions().get(pk=session.pk)


@router.get("/sessions/{uuid:session_uuid}/sign", include_in_schema=False)
def sign_session_get(request, session_uuid: uuid.UUID):
    """GET on the POST-only sign route: authenticate (401) and load through the clinic scope
    (another clinic's session is a 404, front desk a 403) before answering 405."""
    _guard(request)
    _one(request, TreatmentSession.objects.all(), session_uuid)
    return HttpResponseNotAllowed(["POST"])
