"""Outcome observations: scored questionnaire responses and clinic-supplied (licensed) instruments.

A `QuestionnaireResponse` is one completed questionnaire, scored by the knowledge engine at the
moment it was recorded; the score is stored (not recomputed) so that a trend never changes
retroactively when an instrument definition is revised. Responses are never edited: a wrong
entry is superseded by a new one.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from imsclinic.core.models import PublicIdModel, TimestampedModel


class Timepoint(models.TextChoices):
    INTAKE = "intake", "Intake (baseline)"
    INTERIM = "interim", "Interim"
    REVIEW = "review", "Review point"
    DISCHARGE = "discharge", "Discharge"


class CompletedVia(models.TextChoices):
    PORTAL = "portal", "Patient portal"
    CLINIC = "clinic", "In clinic"


class QuestionnaireResponseQuerySet(models.QuerySet):
    def for_course(self, course):
        return self.filter(course=course)

    def chronological(self):
        return self.order_by("completed_at", "id")


class QuestionnaireResponse(PublicIdModel, TimestampedModel):
    """One completed, auto-scored outcome questionnaire (a scored observation).

    - answers: {item id: number or null} exactly as given to `knowledge.score_instrument`.
    - total / subscales / normalised / interpretation: the engine's Score at recording time.
    - instrument_id: a knowledge instrument id (nprs, psfs, lefs, spadi, pgic, groc) or the id of
      the clinic's own `ClinicInstrument` (odi, ndi, quickdash ...).
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "clinical.CourseOfCare",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaire_responses",
    )
    instrument_id = models.CharField(max_length=80)
    answers = models.JSONField(default=dict)
    total = models.FloatField()
    subscales = models.JSONField(default=dict, blank=True)
    normalised = models.FloatField(null=True, blank=True)
    interpretation = models.CharField(max_length=80, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    completed_via = models.CharField(max_length=10, choices=CompletedVia.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    timepoint = models.CharField(max_length=12, choices=Timepoint.choices)
    # The number of signed sessions in the course when the questionnaire was completed (0 at
    # intake). Stored so "sessions to MCID" is an aggregate query rather than a per-row join.
    session_number = models.PositiveIntegerField(default=0)

    objects = QuestionnaireResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "completed_at"], name="outcome_clinic_time_idx"),
            models.Index(
                fields=["course", "instrument_id", "completed_at"], name="outcome_course_instr_idx"
            ),
            models.Index(
                fields=["patient", "instrument_id", "completed_at"],
                name="outcome_patient_instr_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_via="portal", entered_by__isnull=True)
                | models.Q(completed_via="clinic", entered_by__isnull=False),
                name="outcome_response_entered_by_matches_via",
                violation_error_message="Clinic entries name who entered them; portal ones do not.",
            ),
            models.CheckConstraint(
                condition=models.Q(timepoint__in=[t.value for t in Timepoint]),
                name="outcome_response_timepoint_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.total:g} ({self.get_timepoint_display()})"

    def clean(self) -> None:
        """The instrument must be a knowledge instrument or one the clinic supplied."""
        super().clean()
        from imsclinic.outcomes.instruments import UnknownInstrument, get_instrument

        try:
            get_instrument(self.clinic, self.instrument_id)
        except UnknownInstrument as exc:
            raise ValidationError({"instrument_id": str(exc)}) from None


class ClinicInstrument(PublicIdModel, TimestampedModel):
    """A licensed instrument the clinic supplies (FHIR Questionnaire JSON + its scoring rule).

    The wording is the clinic's under its own licence, so it lives in the clinic's database and is
    never shipped. `instrument_from_fhir_questionnaire(questionnaire, scoring)` turns it into the
    same Instrument the shipped ones are, so scoring and MCID checks work unchanged.
    """

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="outcome_instruments"
    )
    instrument_id = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    questionnaire = models.JSONField()
    scoring = models.JSONField()
    is_active = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id"],
                name="outcome_clinic_instrument_unique",
                violation_error_message="This clinic already has an instrument with that id.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def to_instrument(self):
        """The knowledge Instrument (raises ValueError if the stored definition is invalid)."""
        from imsclinic.knowledge import instrument_from_fhir_questionnaire

        return instrument_from_fhir_questionnaire(self.questionnaire, self.scoring)


# --- Analytics rollups (outcomes/rollups.py keeps them current; `imsclinic analytics rebuild`) --


class PatientMonthRollup(models.Model):
    """Signed sessions of one patient in one clinic-local calendar month, by practitioner and by
    the condition of the session's course. Distinct patients over any range of whole months come
    from here (a patient seen in two months is one patient), as do the session counts."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the clinic-local month")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    condition_id = models.CharField(max_length=80, blank=True)
    sessions = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "month", "patient", "practitioner", "condition_id"],
                name="outcomes_patient_month_unique",
            )
        ]
        indexes = [
            models.Index(fields=["patient"], name="outcomes_patient_month_pat"),
            # Every column the analytics page reads: it counts distinct patients and sums the
            # sessions of a clinic's months from the index alone.
            models.Index(
                fields=["clinic", "month", "patient", "practitioner", "condition_id", "sessions"],
                name="outcomes_patient_month_read",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.sessions} sessions"


class EventMonthRollup(models.Model):
    """Adverse events of signed sessions in one clinic-local month, by practitioner, condition,
    kind and severity."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    condition_id = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=20)
    severity = models.CharField(max_length=12)
    events = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "month", "practitioner", "condition_id", "kind", "severity"],
                name="outcomes_event_month_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.events} adverse events"


class ClinicMonthRollup(models.Model):
    """A clinic's month in three numbers: what a network owner's dashboard reads for every
    clinic at once, without touching the sessions."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    sessions = models.PositiveIntegerField()
    patients = models.PositiveIntegerField()
    adverse_events = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "month"], name="outcomes_clinic_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.sessions} sessions, {self.patients} patients"


class CourseOutcome(models.Model):
    """A course's outcome on one instrument, with the course fields the analytics filters and
    groupings read (outcomes/course_outcomes.py keeps it current): the MCID figures count these
    rows instead of running correlated subqueries over every course's responses and sessions."""

    course = models.ForeignKey(
        "clinical.CourseOfCare", on_delete=models.CASCADE, related_name="outcome_rows"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=80)
    # Copies of the course's fields, so the page reads this table only.
    started_on = models.DateField()
    condition_id = models.CharField(max_length=80, blank=True)
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    signed_sessions = models.PositiveIntegerField()
    baseline_total = models.FloatField(help_text="The earliest intake response's total")
    has_follow_up = models.BooleanField(help_text="A non-intake response exists")
    first_mcid_session = models.PositiveIntegerField(
        null=True, help_text="Lowest session number of a follow-up that reached the MCID"
    )
    # The definition the row was computed with (the reader refuses rows of another one).
    mcid = models.FloatField()
    higher_is_better = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument_id"], name="outcomes_course_outcome_unique"
            )
        ]
        indexes = [
            # Every column the page reads, so the page reads the index alone, which stays in key
            # order however often rows are rewritten. (Joining the courses instead cost 2.7 µs a
            # row at network size on SQLite, one scattered course page per row.)
            models.Index(
                fields=[
                    "clinic",
                    "instrument_id",
                    # The GROUP BY's columns in its order: the database groups as it reads.
                    "condition_id",
                    "practitioner",
                    "has_follow_up",
                    "first_mcid_session",
                    "mcid",
                    "higher_is_better",
                    "started_on",
                    "signed_sessions",
                ],
                name="outcomes_course_outcome_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}: baseline {self.baseline_total:g}"
