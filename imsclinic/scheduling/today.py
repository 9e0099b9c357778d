"""Today panel: today's appointments with status buttons. A practitioner sees their own list;
front desk and clinic admins see the whole clinic."""

from imsclinic.accounts.models import Role
from imsclinic.scheduling.models import Appointment


def appointments_panel(request):
    clinic = request.clinic
    if clinic is None:
        return None
    day = clinic.today()
    appointments = (
        Appointment.objects.for_clinic_day(clinic, day)
        .active()
        .select_related("patient", "practitioner")
        .order_by("starts_at")
    )
    whole_clinic = request.user.has_role(clinic, Role.FRONT_DESK, Role.CLINIC_ADMIN)
    mine = request.user.has_role(clinic, Role.PRACTITIONER)
    if mine and not whole_clinic:
        appointments = appointments.filter(practitioner=request.user)
    return {
        "template": "scheduling/today_appointments.html",
        "context": {
            "appointments": list(appointments),
            "day": day,
            "scope": "clinic" if whole_clinic else "mine",
        },
    }
