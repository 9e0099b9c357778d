"""The patient's own pain drawing, made in the portal before the first visit."""

from django.conf import settings
from django.db import models

from imsclinic.core.models import PublicIdModel, TimestampedModel


class PatientPainDrawing(PublicIdModel, TimestampedModel):
    """Where it hurts, as the patient drew it on the body chart in the portal.

    `marks` has the shape of `Assessment.body_chart`:
    [{"region": "low_back_r", "side": "R", "pain_type": "aching", "intensity": 6}].
    Every save is a new row (the patient's earlier drawings stay as they were); the latest is
    the one the practitioner sees beside their own pain diagram, labelled as the patient's.
    Written only by `clinical.actions.save_pain_drawing`, by the patient themselves.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="pain_drawings"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    marks = models.JSONField(default=list)
    note = models.TextField(blank=True, max_length=1000)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"Pain drawing of {self.created_at:%Y-%m-%d}"


def latest_pain_drawing(patient):
    return PatientPainDrawing.objects.filter(patient=patient).order_by("-created_at", "-id").first()
