"""Issued reports: the practitioner's own words and the recipient of a progress report or
discharge summary.

The numbers in a report (sessions, outcomes, adverse events) are always read from the record
when it is rendered; what is stored here is what only a person can write: who the report is for,
an optional cover letter, the narrative (pre-filled from the data, then edited) and the plan.
A report is a draft until the practitioner issues it; issuing freezes the text and records the
practitioner's name, designation and registration as they stood that day, so a reissued PDF
years later still says who signed it.
"""

from django.conf import settings
from django.db import models

from imsclinic.core.models import PublicIdModel, TimestampedModel


class ReportKind(models.TextChoices):
    PROGRESS = "progress", "Progress report"
    DISCHARGE = "discharge", "Discharge summary"


class IssuedReport(PublicIdModel, TimestampedModel):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="issued_reports"
    )
    course = models.ForeignKey(
        "clinical.CourseOfCare", on_delete=models.CASCADE, related_name="issued_reports"
    )
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    recipient_name = models.CharField(
        max_length=200, blank=True, help_text="For example the referring physician."
    )
    recipient_address = models.TextField(blank=True, max_length=600)
    cover_letter = models.TextField(
        blank=True, max_length=4000, help_text="Optional: printed as a letter before the report."
    )
    narrative = models.TextField(max_length=4000)
    plan = models.TextField(max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    # Snapshot of the signer at issue time (see the module docstring).
    signer_name = models.CharField(max_length=200, blank=True)
    signer_designation = models.CharField(max_length=80, blank=True)
    signer_registration = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["course", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_name or 'the record'}"

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None
