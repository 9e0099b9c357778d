"""The needling session record: pre-check, needling rows, counts, aftercare, adverse events."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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

PAIN_VALIDATORS = [MinValueValidator(0), MaxValueValidator(10)]


def _pain_range(field: str, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": 0, f"{field}__lte": 10}),
        name=f"{prefix}_{field}_range",
        violation_error_message="Pain is scored 0 to 10.",
    )


class TreatmentSessionQuerySet(SignableQuerySet):
    def for_patient(self, patient):
        return self.filter(patient=patient)


class TreatmentSession(PublicIdModel, TimestampedModel, SignableModel):
    """One IMS / dry-needling visit.

    - precheck: {"checked": true, "items": [{"id": "anticoagulants", "regions": []}], "notes": ""}
      new contraindications since the last visit, as knowledge contraindication ids.
    - clean_technique: {"skin_prep": bool, "hand_hygiene": bool, "sharps": bool}
    A patient has at most one unsigned (draft) session at a time.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "clinical.CourseOfCare",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="treatment_sessions",
    )
    session_number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    pain_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PAIN_VALIDATORS
    )
    pain_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=PAIN_VALIDATORS)
    # Never pre-filled: an empty count is "not counted yet", which signing refuses.
    needles_in = models.PositiveIntegerField(null=True, blank=True)
    needles_out = models.PositiveIntegerField(null=True, blank=True)
    precheck = models.JSONField(default=dict, blank=True)
    clean_technique = models.JSONField(default=dict, blank=True)
    aftercare_given = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    lamina_technique = models.BooleanField(
        default=False,
        help_text="Thoracic paraspinals on both sides were needled onto the lamina (only where "
        "the clinic's policy allows both sides of the thorax for that technique).",
    )
    client_key = models.CharField(
        max_length=80,
        blank=True,
        help_text="The API client's idempotency key: a retried create returns this session.",
    )
    # The precautions in force when the session was signed (see safety.patient_precautions):
    # the next session starts from here instead of re-reading every signed pre-check. None on
    # sessions signed before this was stored.
    active_precautions = models.JSONField(null=True, blank=True)

    objects = TreatmentSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            signed_pair_constraint("clinical_session"),
            _pain_range("pain_before", "clinical_session"),
            _pain_range("pain_after", "clinical_session"),
            models.CheckConstraint(
                condition=(
                    models.Q(needles_in__isnull=True)
                    | models.Q(needles_in__gte=0, needles_in__lte=500)
                )
                & (
                    models.Q(needles_out__isnull=True)
                    | models.Q(needles_out__gte=0, needles_out__lte=500)
                ),
                name="clinical_session_needles_range",
                violation_error_message="Needle counts are 0 to 500.",
            ),
            models.CheckConstraint(
                condition=models.Q(session_number__gte=1), name="clinical_session_number_positive"
            ),
            models.UniqueConstraint(
                fields=["patient", "session_number"], name="clinical_session_number_unique"
            ),
            models.UniqueConstraint(
                fields=["patient", "client_key"],
                condition=~models.Q(client_key=""),
                name="clinical_session_client_key_unique",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(signed_at__isnull=True),
                name="clinical_session_one_draft",
                violation_error_message="This patient already has a session in progress.",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "started_at"]),
            # Today's "unsigned drafts": a practitioner's open drafts, without reading the signed.
            models.Index(
                fields=["practitioner"],
                condition=models.Q(signed_at__isnull=True),
                name="clinical_session_open_drafts",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.session_number} on {self.local_date:%Y-%m-%d}"

    @property
    def local_date(self):
        """The session's date in the clinic's time zone (the date that authorisations apply to)."""
        return self.started_at.astimezone(self.clinic.tz).date()

    @property
    def needle_count_matches(self) -> bool:
        return self.needles_in is not None and self.needles_in == self.needles_out

    def precheck_ids(self) -> list[str]:
        items = (self.precheck or {}).get("items", [])
        return [item["id"] for item in items if isinstance(item, dict) and item.get("id")]


class NeedlingRow(ChildOfSigned):
    """One needled muscle in a session: where, how deep, with which needle, and the response."""

    class Side(models.TextChoices):
        LEFT = "L", "Left"
        RIGHT = "R", "Right"
        BOTH = "B", "Both"

    class Response(models.TextChoices):
        """The muscle's response to the needle, graded as Gunn-trained practitioners do: no
        response, a local twitch, or the needle grasped (cramp) in three grades of strength.
        "grasp" without a grade is kept only for rows charted before grading existed."""

        NONE = "none", "None"
        TWITCH = "twitch", "Twitch"
        GRASP_1 = "grasp_1", "Grasp 1 (mild)"
        GRASP_2 = "grasp_2", "Grasp 2 (moderate)"
        GRASP_3 = "grasp_3", "Grasp 3 (strong)"
        GRASP = "grasp", "Grasp (grade not recorded)"

    class Tolerance(models.TextChoices):
        GOOD = "good", "Good"
        FAIR = "fair", "Fair"
        POOR = "poor", "Poor"

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="needling_rows"
    )
    order = models.PositiveIntegerField(default=0)
    muscle_id = KnowledgeIdField(kind="muscle")
    side = models.CharField(max_length=1, choices=Side.choices)
    paraspinal_level = models.CharField(max_length=10, blank=True)
    insertions = models.PositiveIntegerField(default=1)
    depth_mm = models.DecimalField(max_digits=5, decimal_places=1)
    needle_gauge = models.CharField(max_length=20, blank=True, help_text="e.g. 0.25 mm or 32G")
    needle_length_mm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    # Blank until observed today (no default, never pre-filled): "repeat last session" leaves them
    # empty, and signing refuses a row whose response or tolerance is not recorded.
    response = models.CharField(max_length=10, choices=Response.choices, blank=True)
    tolerance = models.CharField(max_length=10, choices=Tolerance.choices, blank=True)
    depth_acknowledged = models.BooleanField(
        default=False, help_text="Depth beyond the muscle's guidance was deliberate."
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(insertions__gte=1, insertions__lte=50),
                name="clinical_row_insertions_range",
                violation_error_message="Insertions are 1 to 50.",
            ),
            models.CheckConstraint(
                condition=models.Q(depth_mm__gt=Decimal("0"), depth_mm__lte=Decimal("150")),
                name="clinical_row_depth_range",
                violation_error_message="Depth is more than 0 and at most 150 mm.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle_id} {self.side}"

    @property
    def locked_parent(self):
        return self.session


class SignRetest(ChildOfSigned):
    """A sign or range of motion that was abnormal, re-tested after needling: what, before,
    after (Gunn judges progress by the physical signs). Locked with its session."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="retests")
    what = models.CharField(max_length=200, help_text="e.g. Lumbar flexion, T4 paraspinal left")
    before = models.CharField(max_length=100)
    after = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(what="") & ~models.Q(before="") & ~models.Q(after=""),
                name="clinical_retest_complete",
                violation_error_message="A re-test needs what was tested, before and after.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.what}: {self.before} → {self.after}"

    @property
    def locked_parent(self):
        return self.session


class AdverseEvent(PublicIdModel, TimestampedModel):
    """An adverse event during or after a session. Events reported after the session was signed
    are still recorded here (a late report is not an edit of the signed record)."""

    class Kind(models.TextChoices):
        BRUISING = "bruising", "Bruising"
        BLEEDING = "bleeding", "Bleeding"
        SORENESS = "soreness_severe", "Severe post-needling soreness"
        VASOVAGAL = "vasovagal", "Vasovagal reaction (fainting)"
        FATIGUE = "fatigue", "Fatigue"
        DROWSINESS = "drowsiness", "Drowsiness"
        PNEUMOTHORAX = "pneumothorax", "Pneumothorax"
        NERVE = "nerve_injury", "Nerve injury"
        INFECTION = "infection", "Infection"
        BREAKAGE = "needle_breakage", "Needle breakage"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        SIGNIFICANT = "significant", "Significant"
        SERIOUS = "serious", "Serious"

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="adverse_events"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    action_taken = models.TextField()
    follow_up = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=["mild", "significant", "serious"]),
                name="clinical_adverse_event_severity_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class Addendum(PublicIdModel):
    """A correction or late note attached to a signed assessment or session, with its reason.
    Exactly one target is set. Addenda are never edited."""

    assessment = models.ForeignKey(
        "clinical.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addenda",
    )
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(assessment__isnull=False, session__isnull=True)
                    | models.Q(assessment__isnull=True, session__isnull=False)
                ),
                name="clinical_addendum_one_target",
                violation_error_message="An addendum belongs to one assessment or one session.",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="clinical_addendum_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"Addendum: {self.reason}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Addenda are never edited; add another addendum.")
        super().save(*args, **kwargs)
