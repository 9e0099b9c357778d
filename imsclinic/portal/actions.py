"""Portal writes: invitations and sign-up. Atomic, one audit event each."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from imsclinic.accounts.models import Role, User
from imsclinic.audit.services import record
from imsclinic.patients.models import Patient
from imsclinic.portal.models import (
    INVITATION_DAYS,
    JOIN_ATTEMPTS,
    PortalInvitation,
    hash_invitation_token,
)


class PortalError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# Who may invite a patient to the portal. The portal shows the patient's clinical record, so
# only roles that may read it send invitations; front desk asks a practitioner or the admin.
INVITING_ROLES = (Role.PRACTITIONER, Role.CLINIC_ADMIN)


@transaction.atomic
def invite_patient(*, patient, by, base_url: str) -> PortalInvitation:
    """Email a sign-up link to the patient's own address (revoking earlier links).

    The link goes only to the patient: it is never returned to the caller or shown to staff, so a
    staff member cannot open it themselves. Without an email address on file there is nowhere
    safe to send it and nothing is created. (No text-message gateway is configured, so the
    patient's phone is not a channel yet.)
    """
    if not by.has_role(patient.clinic_id, *INVITING_ROLES):
        raise PortalError(
            "Only a practitioner or a clinic admin can invite a patient to the portal."
        )
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.portal_user_id is not None:
        raise PortalError("This patient already has a portal account.")
    if not locked.email:
        raise PortalError(
            "Add the patient's email address first: the invitation is sent only to the patient."
        )
    now = timezone.now()
    PortalInvitation.objects.filter(patient=locked).pending(now).update(revoked_at=now)
    token = PortalInvitation.new_token()
    invitation = PortalInvitation.objects.create(
        patient=locked,
        token_hash=hash_invitation_token(token),
        email=locked.email,
        created_by=by,
        expires_at=PortalInvitation.default_expiry(now),
    )
    link = f"{base_url.rstrip('/')}/portal/join/{token}/"
    record(
        by=by,
        action="portal.invite",
        target=invitation,
        patient=locked,
        summary="Invited to the patient portal by email",
    )
    clinic = locked.clinic
    body = (
        f"Hello {locked.given_name},\n\n{clinic.name} invites you to its patient portal, "
        "where you can see and book appointments, complete questionnaires before visits and "
        f"read your aftercare.\n\nCreate your login here (valid for {INVITATION_DAYS} days). "
        f"You will be asked for your date of birth:\n{link}\n\n"
        f"If you did not expect this, call {clinic.phone or 'the clinic'}.\n"
    )
    recipient = locked.email
    transaction.on_commit(
        lambda: send_mail(
            f"Your {clinic.name} patient portal", body, settings.DEFAULT_FROM_EMAIL, [recipient]
        )
    )
    return invitation


def invitation_for_token(token: str):
    return (
        PortalInvitation.objects.pending(timezone.now())
        .select_related("patient", "patient__clinic")
        .filter(token_hash=hash_invitation_token(token or ""))
        .first()
    )


class WrongDateOfBirth(PortalError):
    """Raised after the failed attempt is saved (outside the sign-up transaction)."""


def accept_invitation(*, token: str, date_of_birth, username: str, password: str) -> User:
    """Create the patient's login and link it to their record. The invitation is used once.

    The date of birth must match the record: whoever holds the link also has to know it. Each
    wrong date is counted (and kept: it is saved before the error is raised) and the link stops
    working after JOIN_ATTEMPTS of them.
    """
    if not _date_of_birth_matches(token=token, date_of_birth=date_of_birth):
        raise WrongDateOfBirth(
            "That date of birth does not match our records. Check it, or call the clinic.",
            field="date_of_birth",
        )
    return _create_login(token=token, username=username, password=password)


@transaction.atomic
def _date_of_birth_matches(*, token: str, date_of_birth) -> bool:
    invitation = invitation_for_token(token)
    if invitation is None:
        raise PortalError("This invitation link has expired or was already used.")
    invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.patient.date_of_birth == date_of_birth:
        return True
    invitation.failed_attempts += 1
    fields = ["failed_attempts", "updated_at"]
    if invitation.failed_attempts >= JOIN_ATTEMPTS:
        invitation.revoked_at = timezone.now()
        fields.append("revoked_at")
    invitation.save(update_fields=fields)
    record(
        by=None,
        action="portal.join.failed",
        target=invitation,
        patient=invitation.patient,
        summary="Wrong date of birth on the portal join page"
        + (" (link revoked)" if invitation.revoked_at else ""),
    )
    return False


@transaction.atomic
def _create_login(*, token: str, username: str, password: str) -> User:
    invitation = invitation_for_token(token)
    if invitation is None:
        raise PortalError("This invitation link has expired or was already used.")
    invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    patient = Patient.objects.select_for_update().get(pk=invitation.patient_id)
    if invitation.accepted_at or patient.portal_user_id:
        raise PortalError("This invitation link has expired or was already used.")
    if User.objects.filter(username__iexact=username).exists():
        raise PortalError("That username is taken; please choose another.", field="username")
    user = User(
        username=username,
        first_name=patient.given_name,
        last_name=patient.family_name,
        email="" if User.objects.filter(email__iexact=patient.email).exists() else patient.email,
    )
    try:
        validate_password(password, user)
    except Exception as exc:  # ValidationError with a list of messages
        raise PortalError(
            " ".join(getattr(exc, "messages", [str(exc)])), field="password1"
        ) from exc
    user.set_password(password)
    user.save()
    patient.portal_user = user
    patient.save(update_fields=["portal_user", "updated_at"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    record(
        by=user,
        action="portal.signup",
        target=invitation,
        patient=patient,
        summary="Created a portal login from an invitation",
    )
    return user
