"""The initial (or follow-up) Gunn assessment and the course of care planned from it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from imsclinic.clinical.models.base import (
    ChildOfSigned,
    SignableModel,
    SignableQuerySet,
    signed_pair_constraint,
)
from imsclinic.core.models import PublicIdModel, TimestampedModel
from imsclinic.knowledge.fields import KnowledgeIdField

SIDES_LR = [("L", "Left"), ("R", "Right")]
# Levels the spinal palpation grid offers, craniocaudal (the segments with paraspinal and
# supraspinous-ligament palpation in Gunn's examination).
SPINAL_LEVELS = (
    *(f"C{n}" for n in range(1, 9)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    "S1",
    "S2",
)


class Assessment(PublicIdModel, TimestampedModel, SignableModel):
    """A Gunn segmental assessment: history, screening re-check, body chart, signs, findings.

    JSON shapes (validated by the forms and actions that write them):
    - body_chart: [{"region": "low_back_r", "side": "R", "pain_type": "aching", "intensity": 6}]
    - gunn_signs: [{"sign": "trophedema_matchstick", "region": "low_back_r", "side": "R"}]
    - range_of_motion: [{"movement": "Lumbar flexion", "value": "50%", "painful": true}]
    - screening_answers: answers in the knowledge screening format (validate_answers)
    - suggested_segments: the segment engine's output at the time (SegmentInference.to_dict())
      plus the plan suggestion under "plan"
    - accepted_segments: ["L5-R", "S1-R"]
    - enlarged_nerves: [{"nerve": "Ulnar nerve at the elbow", "side": "L"}]
    - screening_source: where the screening re-check was pre-filled from, e.g.
      {"kind": "self_screening", "date": "2026-11-20", "request": "<uuid>"}; empty when the
      practitioner entered it from scratch. `screening_confirmed` is set when the practitioner
      saves the re-check.
    Paraspinal and spinous-process tenderness by spinal level are SpinalLevelFinding rows.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    assessed_on = models.DateField()
    pain_pattern = models.TextField(blank=True)
    onset = models.CharField(max_length=200, blank=True)
    duration_months = models.PositiveIntegerField(null=True, blank=True)
    treatments_tried = models.TextField(blank=True)
    medications = models.TextField(blank=True)
    comorbidities = models.TextField(blank=True)
    screening_answers = models.JSONField(default=dict, blank=True)
    screening_source = models.JSONField(default=dict, blank=True)
    screening_confirmed = models.BooleanField(default=False)
    body_chart = models.JSONField(default=list, blank=True)
    gunn_signs = models.JSONField(default=list, blank=True)
    range_of_motion = models.JSONField(default=list, blank=True)
    enlarged_nerves = models.JSONField(default=list, blank=True)
    temperature_difference_c = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Measured skin-temperature difference between the sides, in degrees C.",
    )
    temperature_site = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where it was measured and which side was colder, e.g. 'lateral calf, right "
        "colder'.",
    )
    working_diagnosis = models.CharField(max_length=300, blank=True)
    icd10_codes = models.JSONField(default=list, blank=True)
    condition_id = KnowledgeIdField(kind="condition", blank=True)
    suggested_segments = models.JSONField(default=dict, blank=True)
    accepted_segments = models.JSONField(default=list, blank=True)
    # The precautions in force when signed (screening re-check), stored so sessions and the
    # chart start from here instead of re-screening. None on assessments signed before.
    active_precautions = models.JSONField(null=True, blank=True)

    objects = SignableQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            signed_pair_constraint("clinical_assessment"),
            models.CheckConstraint(
                condition=models.Q(temperature_difference_c__isnull=True)
                | (
                    models.Q(temperature_difference_c__gte=Decimal("0"))
                    & models.Q(temperature_difference_c__lte=Decimal("10"))
                    & ~models.Q(temperature_site="")
                ),
                name="clinical_assessment_temperature_with_site",
                violation_error_message="A temperature difference is 0 to 10 °C and needs where "
                "it was measured.",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-assessed_on"]),
            models.Index(
                fields=["practitioner"],
                condition=models.Q(signed_at__isnull=True),
                name="clinical_assess_open_drafts",
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.assessed_on:%Y-%m-%d}"

    @property
    def proposes_needling(self) -> bool:
        """An assessment that accepts segments to needle is held to the needling sign rules."""
        return bool(self.accepted_segments)


class AssessmentFinding(ChildOfSigned):
    """One muscle examined as tender, taut or shortened on one side (a knowledge muscle id)."""

    class Grade(models.TextChoices):
        TENDER = "tender", "Tender"
        TAUT = "taut", "Taut band"
        SHORTENED = "shortened", "Shortened"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    muscle_id = KnowledgeIdField(kind="muscle")
    side = models.CharField(max_length=1, choices=SIDES_LR)
    grade = models.CharField(max_length=10, choices=Grade.choices, default=Grade.TENDER)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "muscle_id", "side", "grade"],
                name="clinical_finding_unique",
                violation_error_message="That finding is already recorded.",
            )
        ]

    @property
    def locked_parent(self):
        return self.assessment


class SpinalLevelFinding(ChildOfSigned):
    """Tenderness found by spinal level in Gunn's segmental examination: the paraspinal muscles
    (left or right) or the spinous process / supraspinous ligament (left, right or midline),
    tender or taut. Recorded by level, not by skin region, and fed to the segment engine."""

    class Structure(models.TextChoices):
        PARASPINAL = "paraspinal", "Paraspinal muscles"
        SPINOUS = "spinous", "Spinous process (supraspinous ligament)"

    class Side(models.TextChoices):
        LEFT = "L", "Left"
        RIGHT = "R", "Right"
        MIDLINE = "M", "Midline"

    class State(models.TextChoices):
        TENDER = "tender", "Tender"
        TAUT = "taut", "Taut"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="level_findings"
    )
    structure = models.CharField(max_length=12, choices=Structure.choices)
    level = models.CharField(max_length=3, choices=[(level, level) for level in SPINAL_LEVELS])
    side = models.CharField(max_length=1, choices=Side.choices)
    state = models.CharField(max_length=8, choices=State.choices)

    class Meta:
        ordering = ["structure", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "structure", "level", "side", "state"],
                name="clinical_level_finding_unique",
                violation_error_message="That level finding is already recorded.",
            ),
            models.CheckConstraint(
                condition=~models.Q(structure="paraspinal", side="M"),
                name="clinical_level_finding_paraspinal_sided",
                violation_error_message="Paraspinal muscles are left or right, not midline.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """e.g. 'T4 left paraspinal tender' or 'L5 midline spinous process tender'."""
        where = "paraspinal" if self.structure == self.Structure.PARASPINAL else "spinous process"
        return (
            f"{self.level} {self.get_side_display().lower()} {where} "
            f"{self.get_state_display().lower()}"
        )

    @property
    def locked_parent(self):
        return self.assessment


class CourseOfCareQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=CourseOfCare.Status.ACTIVE)


class CourseOfCare(PublicIdModel, TimestampedModel):
    """The treatment plan: target segments and muscles, how many sessions, how often, goals.

    - target_muscles: [{"muscle_id": "gluteus_medius", "side": "R"}]
    - goals: [{"activity": "Sit through a 1-hour meeting", "baseline_score": 3}] (PSFS, 0-10)
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        DISCHARGED = "discharged", "Discharged"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    condition_id = KnowledgeIdField(kind="condition", blank=True)
    icd10_codes = models.JSONField(default=list, blank=True)
    target_segments = models.JSONField(default=list, blank=True)
    target_muscles = models.JSONField(default=list, blank=True)
    planned_sessions = models.PositiveIntegerField(default=8)
    frequency_days = models.PositiveIntegerField(default=7)
    goals = models.JSONField(default=list, blank=True)
    review_at_session = models.PositiveIntegerField(default=4)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    started_on = models.DateField(default=timezone.localdate)
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.TextField(blank=True)
    # When the patient's precautions change, the plan is recomputed against them and flagged:
    # {"flagged": bool, "precautions": [ids], "excluded": [{"muscle_id", "side", "reason"}],
    #  "plan": suggest_plan(...).to_dict(), "checked_at": iso time}
    plan_review = models.JSONField(default=dict, blank=True)
    # Maintained by outcomes/priority.py whenever the course's chart changes (signing, a
    # questionnaire, a status change, the clinic's rules): the Today panel reads these instead of
    # recomputing every active course's history. `priority` counts the course-rule flags that
    # depend only on the records (no meaningful change, reassessment due); the dropout flag
    # depends on the clock and is derived from `last_signed_session_at` at read time.
    signed_session_count = models.PositiveIntegerField(default=0, editable=False)
    last_signed_session_at = models.DateTimeField(null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = CourseOfCareQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            # The Today panel: a clinic's (or a practitioner's) active courses, most flags first.
            models.Index(
                fields=["clinic", "practitioner", "-priority"],
                condition=models.Q(status="active"),
                name="clinical_course_active_prio",
            ),
            models.Index(
                fields=["clinic", "-priority"],
                condition=models.Q(status="active"),
                name="clinical_course_clinic_prio",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_sessions__gte=1, planned_sessions__lte=52),
                name="clinical_course_planned_sessions_range",
                violation_error_message="Plan between 1 and 52 sessions.",
            ),
            models.CheckConstraint(
                condition=models.Q(frequency_days__gte=1, frequency_days__lte=90),
                name="clinical_course_frequency_range",
                violation_error_message="Sessions are 1 to 90 days apart.",
            ),
            models.CheckConstraint(
                condition=models.Q(review_at_session__gte=1),
                name="clinical_course_review_positive",
            ),
            models.CheckConstraint(
                condition=(~models.Q(status="discharged") | models.Q(discharged_on__isnull=False)),
                name="clinical_course_discharged_has_date",
                violation_error_message="A discharged course needs its discharge date.",
            ),
            # One active course per patient keeps "the active course" unambiguous.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="clinical_course_one_active",
                violation_error_message="This patient already has an active course of care.",
            ),
        ]

    def __str__(self) -> str:
        return f"Course from {self.started_on:%Y-%m-%d} ({self.get_status_display()})"

    def sessions_done(self) -> int:
        return self.sessions.signed().count()
