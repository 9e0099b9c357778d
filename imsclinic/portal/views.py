"""The patient's own pages."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from imsclinic.core.contributions import collect
from imsclinic.portal.access import portal_patient_required

# Sections contributed by other areas: upcoming appointments, questionnaires to complete,
# aftercare from sessions, the record download. Functions (request, patient) -> dict | None.
PORTAL_SECTIONS: list[str] = [
    "imsclinic.scheduling.portal.appointments_section",
    "imsclinic.outcomes.portal.questionnaires_section",
    "imsclinic.clinical.portal.aftercare_section",
    "imsclinic.interop.portal.record_export_section",
]


@portal_patient_required
@require_GET
def home(request, patient):
    context = {
        "patient": patient,
        "clinic": patient.clinic,
        "sections": collect(PORTAL_SECTIONS, request, patient),
    }
    return render(request, "portal/home.html", context)
