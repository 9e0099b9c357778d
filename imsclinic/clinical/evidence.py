"""Evidence this area offers to others (see scheduling.models.ASSESSMENT_EVIDENCE)."""

from imsclinic.clinical.models import Assessment


def has_signed_assessment(patient) -> bool:
    """A signed assessment satisfies the assessment-first rule for booking needling."""
    return Assessment.objects.filter(patient=patient, signed_at__isnull=False).exists()
