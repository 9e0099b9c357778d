"""Today panel: today's appointments with status buttons. A practitioner sees their own list;
front desk and clinic admins see the whole clinic.

A day of more than `TODAY_LIMIT` visits (a busy clinic's front desk sees dozens) shows the
`TODAY_LIMIT` that are still in play: the earliest finished visits (completed, no-show) leave the
panel first, then the latest open ones, and the panel says how many the Schedule has. Every
visit of a smaller day stays on it, finished ones included. So the page's cost does not grow
with the clinic's day, as the course flags panel shows its first 25.
"""

from imsclinic.accounts.models import Role
from imsclinic.scheduling.models import Appointment, Status

TODAY_LIMIT = 25
FINISHED = (Status.COMPLETED, Status.NO_SHOW)

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
    appointments = Appointment.objects.for_clinic_day(clinic, day).active()
    whole_clinic = request.user.has_role(clinic, Role.FRONT_DESK, Role.CLINIC_ADMIN)
    mine = request.user.has_role(clinic, Role.PRACTITIONER)
    if mine and not whole_clinic:
        appointments = appointments.filter(practitioner=request.user)
    day_list = list(appointments.order_by("starts_at", "pk").values_list("pk", "status"))
    shown = visits_in_play(day_list, limit=TODAY_LIMIT)
    rows = (
        Appointment.objects.filter(pk__in=shown)
        .select_related("patient", "practitioner")
        # Only what a row shows: whole patient and user rows cost more to load than the
        # columns the row prints.
        .only(*ROW_FIELDS)
        .order_by("starts_at", "pk")
    )
    return {
        "template": "scheduling/today_appointments.html",
        "context": {
            "appointments": list(rows),
            "day_total": len(day_list),
            "day": day,
            "scope": "clinic" if whole_clinic else "mine",
        },
    }


def visits_in_play(day_list: list[tuple[int, str]], *, limit: int) -> list[int]:
    """The ids of at most `limit` visits of `day_list` ((id, status) in start order): all of
    them when they fit; otherwise the earliest finished visits leave first, then the latest."""
    if len(day_list) <= limit:
        return [pk for pk, _ in day_list]
    surplus = len(day_list) - limit
    kept = []
    for pk, status in day_list:
        if surplus and status in FINISHED:
            surplus -= 1
            continue
        kept.append(pk)
    return kept[:limit]
