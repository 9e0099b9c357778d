"""API schemas of the clinical area (UUIDs outward, knowledge ids for muscles)."""

import datetime
import uuid
from decimal import Decimal

from ninja import Field, Schema
from pydantic import ConfigDict

MAX_ROWS = 60  # the same limit as the charting actions (actions.session.MAX_ROWS)


class StrictSchema(Schema):
    """Input schema: an unknown field is a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AssessmentOut(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID = Field(alias="patient.uuid")
    practitioner: str = Field(alias="practitioner.username")
    assessed_on: datetime.date
    pain_pattern: str
    onset: str
    duration_months: int | None
    working_diagnosis: str
    icd10_codes: list[str]
    condition_id: str
    body_chart: list[dict]
    gunn_signs: list[dict]
    range_of_motion: list[dict]
    findings: list[dict]
    level_findings: list[dict]
    enlarged_nerves: list[dict]
    temperature_difference_c: Decimal | None
    temperature_site: str
    suggested_segments: dict
    accepted_segments: list[str]
    signed_at: datetime.datetime | None

    @staticmethod
    def resolve_findings(obj):
        return [
            {"muscle_id": f.muscle_id, "side": f.side, "grade": f.grade} for f in obj.findings.all()
        ]

    @staticmethod
    def resolve_level_findings(obj):
        """Spinal palpation by level: structure paraspinal|spinous, level C1..S2, side L|R|M
        (M = midline, spinous only), state tender|taut."""
        return [
            {"structure": f.structure, "level": f.level, "side": f.side, "state": f.state}
            for f in obj.level_findings.all()
        ]


class CourseOut(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID = Field(alias="patient.uuid")
    practitioner: str = Field(alias="practitioner.username")
    condition_id: str
    icd10_codes: list[str]
    target_segments: list[str]
    target_muscles: list[dict]
    planned_sessions: int
    frequency_days: int
    goals: list[dict]
    review_at_session: int
    status: str
    started_on: datetime.date
    discharged_on: datetime.date | None


class NeedlingRowIn(StrictSchema):
    muscle_id: str = Field(max_length=80)
    side: str = Field(pattern="^[LRB]$")
    paraspinal_level: str = Field("", max_length=10)
    insertions: int = Field(1, ge=1, le=50)
    depth_mm: Decimal = Field(gt=0, le=150, max_digits=5, decimal_places=1)
    needle_gauge: str = Field("", max_length=20)
    needle_length_mm: Decimal | None = Field(None, gt=0, le=150)
    lot_number: str = Field("", max_length=40)
    response: str = Field(pattern="^(none|twitch|grasp_1|grasp_2|grasp_3)$")
    tolerance: str = Field(pattern="^(good|fair|poor)$")
    depth_acknowledged: bool = False


class NeedlingRowOut(NeedlingRowIn):
    model_config = ConfigDict(extra="ignore")

    response: str  # rows charted before grading may hold the ungraded "grasp"
    order: int
    muscle_name: str = ""
    segments: str = ""


class AdverseEventOut(Schema):
    uuid: uuid.UUID
    session: uuid.UUID = Field(alias="session.uuid")
    patient: uuid.UUID = Field(alias="patient.uuid")
    kind: str
    severity: str
    action_taken: str
    follow_up: str
    occurred_at: datetime.datetime


class SessionOut(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID = Field(alias="patient.uuid")
    course: uuid.UUID | None = None
    practitioner: str = Field(alias="practitioner.username")
    session_number: int
    started_at: datetime.datetime
    duration_minutes: int | None
    pain_before: int | None
    pain_after: int | None
    needles_in: int | None
    needles_out: int | None
    lamina_technique: bool
    precheck: dict
    clean_technique: dict
    aftercare_given: str
    signed_at: datetime.datetime | None
    needling_rows: list[NeedlingRowOut]
    adverse_events: list[AdverseEventOut]

    @staticmethod
    def resolve_course(obj):
        return obj.course.uuid if obj.course_id else None

    @staticmethod
    def resolve_needling_rows(obj):
        from imsclinic.clinical import safety

        rows = []
        for row in obj.needling_rows.all():
            facts = safety.muscle_facts(row.muscle_id) or {}
            rows.append(
                {
                    **{k: getattr(row, k) for k in NeedlingRowIn.model_fields},
                    "order": row.order,
                    "muscle_name": facts.get("name", ""),
                    "segments": facts.get("segments", ""),
                }
            )
        return rows

    @staticmethod
    def resolve_adverse_events(obj):
        return list(obj.adverse_events.all())


class CleanTechnique(StrictSchema):
    skin_prep: bool = False
    hand_hygiene: bool = False
    sharps: bool = False


class SessionCreate(StrictSchema):
    """Open today's session and chart it in one request. Counts are never defaulted: leave them
    out and signing asks for them. `client_key` (or the Idempotency-Key header) makes a retry
    return the same session instead of charting it again."""

    client_key: str = Field("", max_length=80)
    pain_before: int | None = Field(None, ge=0, le=10)
    pain_after: int | None = Field(None, ge=0, le=10)
    needles_in: int | None = Field(None, ge=0, le=500)
    needles_out: int | None = Field(None, ge=0, le=500)
    lamina_technique: bool = False
    duration_minutes: int | None = Field(None, ge=0, le=600)
    precheck_done: bool = False
    precheck_items: list[str] = []
    precheck_regions: list[str] = []
    clean_technique: CleanTechnique = CleanTechnique()
    aftercare_given: str = Field("", max_length=5000)
    rows: list[NeedlingRowIn] = Field([], max_length=MAX_ROWS)


class SigningRefusal(Schema):
    detail: str
    reasons: list[str]
