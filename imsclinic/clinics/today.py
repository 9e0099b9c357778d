"""The clinic admin's Today panel: registrations and needling authorisations to renew."""

from imsclinic.accounts.models import Role
from imsclinic.clinics.credentials import WARN_DAYS, expiry_warnings


def credentials_panel(request):
    clinic = request.clinic
    if clinic is None or not request.user.has_role(clinic, Role.CLINIC_ADMIN):
        return None
    warnings = expiry_warnings(clinic, on=clinic.today())
    if not warnings:
        return None
    return {
        "template": "clinics/today_credentials.html",
        "context": {"clinic": clinic, "warnings": warnings, "warn_days": WARN_DAYS},
    }
