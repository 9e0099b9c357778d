"""Portal section: the aftercare advice the patient was given in their signed sessions."""

from imsclinic.clinical.models import TreatmentSession


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
