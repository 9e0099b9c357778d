"""JSON API of the clinical area, mounted at /api/v1/clinical.

Read endpoints for assessments, courses, sessions (with needling rows) and adverse events, and
create-session + sign that call the same actions as the UI, so the signing refusals are the same.
Records load through the gateway (`api_loads`): another clinic's record is a 404, front desk a
403, and every read leaves one access-log row.
"""

from django.http import HttpResponseNotAllowed
from ninja import Router, Status
from ninja.errors import ValidationError

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
    SessionCreate,
    SessionOut,
    SigningRefusal,
)
from imsclinic.core.db import run_in_write_transaction
from imsclinic.gateway.api_auth import api_auth
from imsclinic.gateway.records import api_loads
from imsclinic.knowledge import load_knowledge
from imsclinic.patients.models import Patient

router = Router(tags=["clinical"], auth=api_auth)

SESSION_RELATED = ("patient", "practitioner", "course", "clinic")


SESSION_PREFETCH = ("needling_rows", "adverse_events__session", "adverse_events__patient")


def _patient(what: str, *, scope: str = "read"):
    """Load the path's patient through the gateway, for clinical roles."""
    return api_loads(
        "patient",
        Patient,
        what,
        path_param="patient_uuid",
        clinical=True,
        scope=scope,
        select=("clinic",),
    )


def _sessions():
    return TreatmentSession.objects.select_related(*SESSION_RELATED).prefetch_related(
        *SESSION_PREFETCH
    )


@router.get("/patients/{uuid:patient_uuid}/assessments", response=list[AssessmentOut])
@_patient("api.assessments")
def list_assessments(request, patient):
    return list(
        Assessment.objects.filter(patient=patient)
        .select_related("patient", "practitioner")
        .prefetch_related("findings", "level_findings")
    )


@router.get("/assessments/{uuid:assessment_uuid}", response=AssessmentOut)
@api_loads(
    "assessment",
    Assessment,
    "api.assessment",
    path_param="assessment_uuid",
    clinical=True,
    select=("patient", "practitioner"),
    prefetch=("findings", "level_findings"),
)
def get_assessment(request, assessment):
    return assessment


@router.get("/patients/{uuid:patient_uuid}/courses", response=list[CourseOut])
@_patient("api.courses")
def list_courses(request, patient):
    return list(
        CourseOfCare.objects.filter(patient=patient).select_related("patient", "practitioner")
    )


@router.get("/courses/{uuid:course_uuid}", response=CourseOut)
@api_loads(
    "course",
    CourseOfCare,
    "api.course",
    path_param="course_uuid",
    clinical=True,
    select=("patient", "practitioner"),
)
def get_course(request, course):
    return course


@router.get("/patients/{uuid:patient_uuid}/sessions", response=list[SessionOut])
@_patient("api.sessions")
def list_sessions(request, patient):
    return list(_sessions().filter(patient=patient))


def _session(what: str, *, scope: str = "read"):
    return api_loads(
        "session",
        TreatmentSession,
        what,
        path_param="session_uuid",
        clinical=True,
        scope=scope,
        select=SESSION_RELATED,
        prefetch=SESSION_PREFETCH,
    )


@router.get("/sessions/{uuid:session_uuid}", response=SessionOut)
@_session("api.session")
def get_session(request, session):
    return session


@router.get("/patients/{uuid:patient_uuid}/adverse-events", response=list[AdverseEventOut])
@_patient("api.adverse_events")
def list_adverse_events(request, patient):
    return list(AdverseEvent.objects.filter(patient=patient).select_related("session", "patient"))


@router.get("/adverse-events/{uuid:event_uuid}", response=AdverseEventOut)
@api_loads(
    "event",
    AdverseEvent,
    "api.adverse_event",
    path_param="event_uuid",
    clinical=True,
    select=("session", "patient"),
)
def get_adverse_event(request, event):
    return event


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


@router.post(
    "/patients/{uuid:patient_uuid}/sessions",
    response={200: SessionOut, 201: SessionOut, 409: SigningRefusal},
)
@_patient("api.sessions.create", scope="write")
def create_session(request, patient, payload: SessionCreate):
    """Open a session and chart it: counts, pre-check, rows, all or nothing (one action).

    Idempotent per client key (the Idempotency-Key header or `client_key`): a retry answers 200
    with the session already charted, unchanged.
    """
    _validate(payload)
    header_key = request.headers.get("Idempotency-Key", "").strip()
    if header_key and payload.client_key and header_key != payload.client_key:
        raise ValidationError(
            [
                {
                    "loc": ["body", "client_key"],
                    "msg": "client_key and the Idempotency-Key header differ",
                    "type": "value_error",
                }
            ]
        )
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
        # One transaction, retried as a whole if it deadlocks with another write (core.db).
        session, created = run_in_write_transaction(
            actions.chart_session,
            patient=patient,
            by=request.user,
            client_key=header_key or payload.client_key,
            precheck=precheck,
            fields={
                "pain_before": payload.pain_before,
                "pain_after": payload.pain_after,
                "needles_in": payload.needles_in,
                "needles_out": payload.needles_out,
                "duration_minutes": payload.duration_minutes,
                "clean_technique": payload.clean_technique.dict(),
                "aftercare_given": payload.aftercare_given,
                "lamina_technique": payload.lamina_technique,
            },
            rows=[row.dict() for row in payload.rows],
        )
    except (actions.ClinicalError, RecordLocked) as error:
        return Status(409, {"detail": str(error), "reasons": [str(error)]})
    return Status(201 if created else 200, _sessions().get(pk=session.pk))


@router.post("/sessions/{uuid:session_uuid}/sign", response={200: SessionOut, 409: SigningRefusal})
@_session("api.session.sign", scope="write")
def sign_session(request, session):
    """Sign the session; 409 with every reason when the safety rules refuse."""
    try:
        actions.sign_session(session=session, by=request.user)
    except actions.SigningRefused as error:
        return Status(409, {"detail": "The session cannot be signed.", "reasons": error.reasons})
    return _sessions().get(pk=session.pk)


@router.get("/sessions/{uuid:session_uuid}/sign", include_in_schema=False)
@_session("api.session.sign")
def sign_session_get(request, session):
    """GET on the POST-only sign route: authenticate (401) and load through the clinic scope
    (another clinic's session is a 404, front desk a 403) before answering 405."""
    return HttpResponseNotAllowed(["POST"])
