"""JSON API for outcomes, mounted at /api/v1/outcomes: scored responses and score summaries."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from imsclinic.core.access import get_patient_for_user
from imsclinic.core.api_auth import api_auth, require_scope, require_staff
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.outcomes import actions
from imsclinic.outcomes.models import CompletedVia, QuestionnaireResponse, Timepoint

router = Router(tags=["outcomes"], auth=api_auth)


class ResponsePublic(Schema):
    uuid: uuid.UUID
    instrument: str = Field(alias="instrument_id")
    answers: dict
    total: float
    subscales: dict
    normalised: float | None
    interpretation: str
    timepoint: str
    completed_via: str
    completed_at: datetime.datetime
    session_number: int
    course: uuid.UUID | None = None

    @staticmethod
    def resolve_course(obj):
        return obj.course.uuid if obj.course_id else None


class ResponseCreate(Schema):
    instrument: str = Field(max_length=80)
    answers: dict[str, float | None]
    timepoint: Timepoint
    course: uuid.UUID | None = None


class ScorePoint(Schema):
    total: float
    session_number: int
    timepoint: str
    completed_at: datetime.datetime


class ScoreSummary(Schema):
    course: uuid.UUID
    instrument: str
    name: str
    higher_is_better: bool
    mcid: float | None
    baseline: float | None
    latest: float | None
    change: float | None
    status: str
    points: list[ScorePoint]


def _clinical_patient(request, patient_uuid):
    require_staff(request)
    require_scope(request, "read")
    try:
        return get_patient_for_user(request, patient_uuid, clinical=True)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None


@router.get("/patients/{uuid:patient_uuid}/responses", response=list[ResponsePublic])
@paginate(BoundedPagination)
def list_responses(request, patient_uuid: uuid.UUID):
    """A patient's scored questionnaire responses, newest first."""
    patient = _clinical_patient(request, patient_uuid)
    return QuestionnaireResponse.objects.filter(patient=patient).select_related("course")


@router.post("/patients/{uuid:patient_uuid}/responses", response={201: ResponsePublic})
def create_response(request, patient_uuid: uuid.UUID, payload: ResponseCreate):
    """Record a questionnaire completed in clinic; the server scores it."""
    patient = _clinical_patient(request, patient_uuid)
    require_scope(request, "write")
    course = None
    if payload.course:
        from imsclinic.clinical.models import CourseOfCare

        course = get_object_or_404(CourseOfCare, patient=patient, uuid=payload.course)
    try:
        response = actions.record_response(
            patient=patient,
            instrument_id=payload.instrument,
            answers=payload.answers,
            via=CompletedVia.CLINIC,
            timepoint=payload.timepoint.value,
            by=request.user,
            course=course,
        )
    except actions.OutcomeError as exc:
        from ninja.errors import ValidationError

        raise ValidationError(
            [{"loc": ["body", "answers"], "msg": str(exc), "type": "value_error"}]
        ) from None
    return Status(201, response)


@router.get("/patients/{uuid:patient_uuid}/scores", response=list[ScoreSummary])
def scores(request, patient_uuid: uuid.UUID):
    """Per course and instrument: baseline, latest, change and MCID status."""
    from imsclinic.clinical.models import CourseOfCare
    from imsclinic.outcomes.course import load_course_data

    patient = _clinical_patient(request, patient_uuid)
    result = []
    for course in CourseOfCare.objects.filter(patient=patient).select_related("clinic", "patient"):
        data = load_course_data(course)
        for s in data.series:
            result.append(
                {
                    "course": course.uuid,
                    "instrument": s.instrument.id,
                    "name": s.instrument.name,
                    "higher_is_better": s.instrument.higher_is_better,
                    "mcid": s.instrument.mcid,
                    "baseline": s.baseline.total if s.baseline else None,
                    "latest": s.latest.total if s.latest else None,
                    "change": s.change,
                    "status": s.status,
                    "points": [p.__dict__ for p in s.points],
                }
            )
    return result
