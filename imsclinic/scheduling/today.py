"""Today panel: today's appointments with status buttons. A practitioner sees their own list;
front desk and clinic admins see the whole clinic."""

from imsclinic.accounts.models import Role
from imsclinic.scheduling.models import Appointment

# The columns scheduling/today_appointments.html reads (with _status_badge and _status_buttons).
ROW_FIELDS = (
    "uuid",
    "clinic_id",
    "patient_id",
    "practitioner_id",
    "kind",
    "status",
    "starts_at",
    "patient__uuid",
    "patient__given_name",
    "patient__family_name",
    "practitioner__username",
    "practitioner__first_name",
    "practitioner__last_name",
)


def appointments_panel(request):
    clinic = request.clinic
    if clinic is None:
        return None
    day = clinic.today()
    appointments = (
        Appointment.objects.for_clinic_day(clinic, day)
        .active()
        .select_related("patient", "practitioner")
        # Only what a row shows: a busy clinic lists dozens, and whole patient and user rows cost
        # more to load than the columns the row prints.
        .only(*ROW_FIELDS)
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
