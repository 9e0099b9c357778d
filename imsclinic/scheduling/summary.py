"""Chart summary contribution: upcoming and recent appointments, booking, portal invitation."""

from django.utils import timezone

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
            "has_assessment": appointments.has_completed_assessment(patient),
            "portal_invitation": invitation,
            "can_invite": request.user.has_role(patient.clinic_id, *INVITING_ROLES),
        },
    }
