"""Chart summary contribution: upcoming and recent appointments, booking, portal invitation."""

from django.utils import timezone

from imsclinic.patients.chart_cache import cached_fact
from imsclinic.scheduling.models import Appointment

# What the section's template shows of an appointment. Reading only these columns halves the
# CPU of its two queries, which run on every chart view (the section depends on the clock and is
# not cached); a field the template starts using must be added here, or it costs a query per row
# (tests/patients/test_chart_appointments.py).
SHOWN_FIELDS = ("uuid", "starts_at", "kind", "status")
SHOWN_PRACTITIONER_FIELDS = ("first_name", "last_name", "username")


def appointments_section(request, patient):
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient)
    upcoming = list(
        appointments.upcoming(now)
        .select_related("practitioner")
        .only(*SHOWN_FIELDS, *(f"practitioner__{f}" for f in SHOWN_PRACTITIONER_FIELDS))
        .order_by("starts_at")[:8]
    )
    # Recent visits show no practitioner.
    recent = list(
        appointments.filter(starts_at__lt=now).only(*SHOWN_FIELDS).order_by("-starts_at")[:5]
    )
    from imsclinic.portal.actions import INVITING_ROLES
    from imsclinic.portal.models import PortalInvitation

    invitation = (
        PortalInvitation.objects.filter(patient=patient)
        .pending(now)
        .order_by("-created_at")
        .first()
    )
    return {
        "template": "scheduling/summary_appointments.html",
        "context": {
            "patient": patient,
            "upcoming": upcoming,
            "recent": recent,
            # Changes only with the chart's records (an audited write bumps the version).
            "has_assessment": cached_fact(
                patient,
                "has-completed-assessment",
                lambda: Appointment.objects.has_completed_assessment(patient),
            ),
            "portal_invitation": invitation,
            "can_invite": request.user.has_role(patient.clinic_id, *INVITING_ROLES),
        },
    }
