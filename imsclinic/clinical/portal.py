"""Portal sections: the patient's own pain drawing before the first visit, and the aftercare
advice the patient was given in their signed sessions."""

from imsclinic.clinical.models import Assessment, TreatmentSession, latest_pain_drawing


def pain_drawing_section(request, patient):
    """Offered until the first assessment is signed; the page itself stays open after it."""
    latest = latest_pain_drawing(patient)
    if latest is None and Assessment.objects.filter(patient=patient).signed().exists():
        return None
    return {"template": "clinical/portal_pain_drawing.html", "context": {"latest": latest}}


def aftercare_section(request, patient):
    sessions = list(
        TreatmentSession.objects.filter(patient=patient)
        .signed()
        .exclude(aftercare_given="")
        .order_by("-started_at")[:5]
    )
    if not sessions:
        return None
    return {"template": "clinical/portal_aftercare.html", "context": {"sessions": sessions}}
