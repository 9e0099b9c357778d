"""The Today panel of flagged courses (no meaningful change, reassessment due, dropped out)."""

from imsclinic.accounts.models import Role
from imsclinic.outcomes.course import flags_for_clinic


def course_flags_panel(request):
    clinic = getattr(request, "clinic", None)
    if clinic is None or not request.user.can_view_clinical(clinic):
        return None
    # A practitioner sees their own courses; a clinic admin sees the whole clinic.
    mine = not request.user.has_role(clinic, Role.CLINIC_ADMIN)
    flagged = flags_for_clinic(clinic, practitioner=request.user if mine else None, limit=25)
    return {
        "template": "outcomes/today_panel.html",
        "context": {"flagged": flagged, "mine": mine},
    }
