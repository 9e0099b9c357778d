from imsclinic.accounts.models import CLINICAL_ROLES, Role


def clinic(request):
    """Navigation context: the active clinic, the user's roles there and the clinics to switch to."""
    active = getattr(request, "clinic", None)
    user = getattr(request, "user", None)
    if active is None or user is None or not user.is_authenticated:
        return {"active_clinic": active}
    roles = user.roles_at(active)
    return {
        "active_clinic": active,
        "active_roles": roles,
        "can_view_clinical": bool(roles & CLINICAL_ROLES),
        "is_clinic_admin": Role.CLINIC_ADMIN in roles,
        "is_practitioner": Role.PRACTITIONER in roles,
        "switchable_clinics": _switchable(user),
    }


def _switchable(user):
    clinics = user.staff_clinics()
    if len(clinics) < 2:
        return []
    return sorted(clinics.values(), key=lambda clinic: (clinic.name, clinic.pk))
