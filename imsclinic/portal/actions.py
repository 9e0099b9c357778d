"""Portal writes: invitations and sign-up. Atomic, one audit event each."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from imsclinic.accounts.models import User
from imsclinic.audit.services import record
from imsclinic.patients.models import Patient
from imsclinic.portal.models import PortalInvitation, hash_invitation_token


class PortalError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic
def invite_patient(*, patient, by, base_url: str) -> tuple[PortalInvitation, str]:
    """Create a sign-up link for `patient` (revoking earlier ones) and email it when the patient
    has an email address. Returns the invitation and the link (shown once to staff)."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.portal_user_id is not None:
        raise PortalError("This patient already has a portal account.")
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
        summary="Invited to the patient portal",
    )
    if locked.email:
        clinic = locked.clinic
        body = (
            f"Hello {locked.given_name},\n\n{clinic.name} invites you to its patient portal, "
            "where you can see and book appointments, complete questionnaires before visits and "
            f"read your aftercare.\n\nCreate your login here (valid for 14 days):\n{link}\n\n"
            f"If you did not expect this, call {clinic.phone or 'the clinic'}.\n"
        )
        transaction.on_commit(
            lambda: send_mail(
                f"Your {clinic.name} patient portal",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [locked.email],
            )
        )
    return invitation, link


def invitation_for_token(token: str):
    return (
        PortalInvitation.objects.pending(timezone.now())
        .select_related("patient", "patient__clinic")
        .filter(token_hash=hash_invitation_token(token or ""))
        .first()
    )


@transaction.atomic
def accept_invitation(*, token: str, username: str, password: str) -> User:
    """Create the patient's login and link it to their record. The invitation is used once."""
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
