"""Chart summary contribution: upcoming and recent appointments, booking, portal invitation."""

from django.utils import timezone

from imsclinic.patients.chart_cache import cached_fact
from imsclinic.scheduling.models import Appointment


def appointments_section(request, patient):
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related("practitioner")
    upcoming = list(appointments.upcoming(now).order_by("starts_at")[:8])
    recent = list(appointments.filter(starts_at__lt=now).order_by("-starts_at")[:5])
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
