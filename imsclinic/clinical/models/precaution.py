"""How a patient's precaution is resolved before a needling session can be signed.

Every precaution on record (pre-session check or assessment) blocks signing until one of these
exists for it:

* a `PrecautionClearance`: someone outside the session (e.g. the prescribing physician) cleared
  needling; it applies to the patient's sessions from `cleared_on` until `valid_until` (if set)
  and lifts the site exclusions the knowledge marks liftable (bleeding risk);
* a `PrecautionDecision`: the practitioner's reasoned decision for one session, naming the
  precaution and the sites adapted; it lifts liftable exclusions for the sites it names.

Both are immutable once written (database triggers, like signed records); a mistake is corrected
by recording a new one.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from imsclinic.core.models import PublicIdModel


class PrecautionClearance(PublicIdModel):
    """A clearance of one precaution by a named person, when and how."""

    class Method(models.TextChoices):
        LETTER = "letter", "Letter or note"
        PHONE = "phone", "Telephone call"
        FAX_EMAIL = "fax_email", "Fax or secure message"
        IN_PERSON = "in_person", "In person"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="precaution_clearances"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "clinical.TreatmentSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="precaution_clearances",
        help_text="The session during which the clearance was recorded, if any.",
    )
    precaution_id = models.CharField(max_length=80, help_text="Knowledge contraindication id.")
    cleared_by = models.CharField(
        max_length=200, help_text="Who cleared it, e.g. 'Dr Chen, prescribing physician'."
    )
    cleared_on = models.DateField()
    method = models.CharField(max_length=12, choices=Method.choices)
    document_reference = models.CharField(max_length=200, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-cleared_on", "-id"]
        indexes = [models.Index(fields=["patient", "precaution_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(cleared_by=""), name="clinical_clearance_cleared_by_required"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("cleared_on")),
                name="clinical_clearance_valid_after_cleared",
                violation_error_message="A clearance cannot end before it was given.",
            ),
        ]

    def __str__(self) -> str:
        return f"Clearance of {self.precaution_id} by {self.cleared_by}"

    def covers(self, day) -> bool:
        return self.cleared_on <= day and (self.valid_until is None or day <= self.valid_until)


class PrecautionDecision(PublicIdModel):
    """The practitioner's reasoned decision to needle despite a precaution, in one session.

    adapted_sites: [{"muscle_id": "gluteus_medius", "side": "R"}] the sites needled with the
    adaptation (e.g. superficial, fewer insertions), which liftable exclusions then allow.
    """

    session = models.ForeignKey(
        "clinical.TreatmentSession", on_delete=models.PROTECT, related_name="precaution_decisions"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="precaution_decisions"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    precaution_id = models.CharField(max_length=80)
    reasoning = models.TextField()
    adapted_sites = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reasoning=""), name="clinical_decision_reasoning_required"
            )
        ]

    def __str__(self) -> str:
        return f"Decision on {self.precaution_id}"

    def names_site(self, muscle_id: str, side: str) -> bool:
        sides = {"L", "R"} if side == "B" else {side}
        named = {
            (site.get("muscle_id"), s)
            for site in self.adapted_sites or []
            for s in ({"L", "R"} if site.get("side") == "B" else {site.get("side")})
        }
        return all((muscle_id, s) in named for s in sides)
