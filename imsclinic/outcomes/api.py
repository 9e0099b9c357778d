"""JSON API for outcomes, mounted at /api/v1/outcomes: scored responses and score summaries."""

import datetime
import uuid

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.pagination import paginate

from imsclinic.clinical.models import CourseOfCare
from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.gateway.api_auth import api_auth
from imsclinic.gateway.records import api_loads
from imsclinic.outcomes import actions
from imsclinic.outcomes.course import load_course_data
from imsclinic.outcomes.models import CompletedVia, QuestionnaireResponse, Timepoint
from imsclinic.patients.models import Patient

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


def _clinical_patient(what: str, *, scope: str = "read"):
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


@router.get("/patients/{uuid:patient_uuid}/responses", response=list[ResponsePublic])
@_clinical_patient("api.outcome_responses")
@paginate(BoundedPagination)
def list_responses(request, patient):
    """A patient's scored questionnaire responses, newest first."""
    return QuestionnaireResponse.objects.filter(patient=patient).select_related("course")


@router.post("/patients/{uuid:patient_uuid}/responses", response={201: ResponsePublic})
@_clinical_patient("api.outcome_responses.create", scope="write")
def create_response(request, patient, payload: ResponseCreate):
    """Record a questionnaire completed in clinic; the server scores it."""
    course = None
    if payload.course:
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
        raise ValidationError(
            [{"loc": ["body", "answers"], "msg": str(exc), "type": "value_error"}]
        ) from None
    return Status(201, response)


@router.get("/patients/{uuid:patient_uuid}/scores", response=list[ScoreSummary])
@_clinical_patient("api.outcome_scores")
def scores(request, patient):
    """Per course and instrument: baseline, latest, change and MCID status."""
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
