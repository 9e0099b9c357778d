"""Helpers shared by the clinical views. (Records load through imsclinic.gateway.records.)"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused
from imsclinic.clinical.actions.signing import Fix


def credentials_fix(user, clinic) -> tuple[str, str]:
    """Where a missing or expired registration or authorisation is fixed: a clinic admin records
    it on the person's staff page; anyone else sees it on their profile, with who to ask."""
    from imsclinic.accounts.models import Role

    if user is not None and user.has_role(clinic, Role.CLINIC_ADMIN):
        return (
            reverse("clinics:staff_member", args=[clinic.uuid, user.uuid]),
            "Record it on your staff page",
        )
    return reverse("profile:me"), "See your registrations on your profile"


def refusals_with_fixes(reasons, *, patient, page_url: str, by=None) -> list[dict]:
    """Each signing refusal with a link to where it is fixed: consent on its own page, the
    signer's credentials on their profile (or, for a clinic admin, their staff page), the rest
    at their section of `page_url` (the session or assessment page). Keyed by the refusal's
    kind, so a reworded sentence keeps its link."""
    where = {
        Fix.CONSENT: (reverse("clinical:consent", args=[patient.uuid]), "Record consent"),
        Fix.PRECHECK: (page_url + "#precheck-heading", "Go to the pre-session check"),
        Fix.PRECAUTIONS: (page_url + "#precautions", "Go to the precautions"),
        Fix.NEEDLE_COUNT: (page_url + "#session-form", "Enter the needle count"),
        Fix.CLEAN_TECHNIQUE: (page_url + "#session-form", "Confirm clean technique"),
        Fix.NEEDLING_ROWS: (page_url + "#add-row", "Chart a needling row"),
        Fix.CREDENTIALS: credentials_fix(by, patient.clinic),
    }
    listed = []
    for reason in reasons:
        url, label = where.get(getattr(reason, "fix", None), (None, None))
        listed.append({"text": str(reason), "fix_url": url, "fix_label": label})
    return listed


def refuse_to(request, error, url):
    """Show why an action was refused and go back to `url`."""
    if isinstance(error, SigningRefused):
        for reason in error.reasons:
            messages.error(request, reason)
    elif isinstance(error, ClinicalError | RecordLocked):
        messages.error(request, str(error))
    return redirect(url)


def appointment_from_post(request, patient):
    """The appointment a record was started from (Today page), if it is this patient's."""
    import uuid

    from imsclinic.scheduling.models import Appointment

    try:
        appointment_uuid = uuid.UUID(request.POST.get("appointment", ""))
    except ValueError:
        return None
    return Appointment.objects.filter(uuid=appointment_uuid, patient=patient).first()
