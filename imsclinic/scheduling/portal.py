"""Portal contribution: the patient's upcoming appointments, cancel, book and before-visit text."""

from django.utils import timezone

from imsclinic.scheduling.instructions import instruction_lines
from imsclinic.scheduling.models import Appointment, cancellation_hours


def appointments_section(request, patient):
    now = timezone.now()
    upcoming = list(
        Appointment.objects.filter(patient=patient)
        .upcoming(now)
        .select_related("practitioner", "clinic")
        .order_by("starts_at")[:12]
    )
    rows = [(a, a.can_be_cancelled_by_patient(now)) for a in upcoming]
    return {
        "template": "scheduling/portal_appointments.html",
        "context": {
            "rows": rows,
            "tz": patient.clinic.tz,
            "cancellation_hours": cancellation_hours(patient.clinic),
            "before": instruction_lines(patient.clinic, "before_visit") if upcoming else [],
        },
    }
