"""Writes of clinic administration: staff, roles, credentials, offboarding, settings, services.

Every action is keyword-only with `by=` the acting user, atomic, checks that `by` is a clinic
admin of the clinic concerned (the pages and the API check too, but the rule lives here), and
records one audit event. Emails go out after the transaction commits, never while it holds locks.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from imsclinic.accounts.models import (
    Clinic,
    Membership,
    NeedlingAuthorisation,
    ProfessionalRegistration,
    Role,
    User,
)
from imsclinic.audit.services import record
from imsclinic.clinics.policies import validate_policies
from imsclinic.gateway.models import ApiToken
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Service, create_default_services

ROLE_LABELS = dict(Role.choices)


class AdminError(Exception):
    """A refused change, with a message for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def require_admin(by, clinic) -> None:
    if by is None or not by.is_active or not by.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only a clinic admin of this clinic may do this.")


def _lock_clinic(clinic) -> Clinic:
    """Serialise staff changes per clinic, so two admins cannot each remove the other's role.

    NO KEY UPDATE: admins still exclude each other, but the clinic's other writes go on (every
    insert that references the clinic takes KEY SHARE on its row at COMMIT)."""
    return Clinic.objects.select_for_update(no_key=True).get(pk=clinic.pk)


def integration_user_ids():
    """The service users behind integration tokens: clinic admins on paper, never people."""
    return ApiToken.objects.filter(clinic__isnull=False).values("user_id")


def _active_admin_count(clinic) -> int:
    return (
        Membership.objects.filter(
            clinic=clinic, role=Role.CLINIC_ADMIN, is_active=True, user__is_active=True
        )
        .exclude(user_id__in=integration_user_ids())
        .values("user_id")
        .distinct()
        .count()
    )


def _forget_cached_roles(user) -> None:
    user.__dict__.pop("_roles_by_clinic", None)


# --- Invitations ------------------------------------------------------------------------------
def _username_for(email: str) -> str:
    base = email.split("@", 1)[0][:120] or "staff"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token with its own salt (a reset link is no invitation, nor the reverse)
    and a longer life. It ends when a password is set (it covers the hash) or on a sign-in."""

    key_salt = "imsclinic.clinics.InvitationTokenGenerator"
    timeout = 3 * 24 * 60 * 60


invitation_tokens = InvitationTokenGenerator()
INVITATION_DAYS = InvitationTokenGenerator.timeout // 86400


def invitation_path(user) -> str:
    """The one-time link path where the invited person chooses a password."""
    return reverse(
        "clinics:accept_invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )


@transaction.atomic
def invite_staff(
    *, clinic, email: str, first_name: str, last_name: str, role: str, by
) -> tuple[User, bool]:
    """Give `email` a role at `clinic`; a new person gets an account without a password.

    Returns (user, needs_password). The invitation email is sent by `send_invitation` after the
    commit; the link is never shown to the admin.
    """
    require_admin(by, clinic)
    if role not in ROLE_LABELS:
        raise AdminError("Choose a role: practitioner, front desk or clinic admin.")
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        raise AdminError(
            "That address belongs to a closed account. Ask the platform operator to reopen it."
        )
    if user is not None and Patient.objects.filter(portal_user=user).exists():
        raise AdminError("That address belongs to a patient's portal account.")
    created = user is None
    if created:
        user = User(
            username=_username_for(email), email=email, first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        try:
            user.full_clean()
        except ValidationError as exc:
            raise AdminError(" ".join(exc.messages)) from exc
        user.save()
    membership, _ = Membership.objects.get_or_create(user=user, clinic=clinic, role=role)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    record(
        by=by,
        action="staff.invite",
        target=user,
        clinic=clinic,
        summary=f"Invited {email} as {ROLE_LABELS[role].lower()}",
        details={"role": role, "new_account": created},
    )
    return user, not user.has_usable_password()


def send_invitation(*, clinic, user, base_url: str, needs_password: bool) -> None:
    """The invitation email (outside any transaction). Raises AdminError if it cannot be sent."""
    if needs_password:
        link = base_url.rstrip("/") + invitation_path(user)
        body = (
            f"You have been invited to work at {clinic.name} in IMS Clinic.\n\n"
            f"Open this link to choose your password. It works once, for "
            f"{INVITATION_DAYS} days:\n{link}\n\n"
            f"Your username is {user.username}.\n\n"
            "If you did not expect this, you can ignore this email.\n"
        )
    else:
        body = (
            f"You now have access to {clinic.name} in IMS Clinic. Sign in as usual "
            f"({user.username}) and pick the clinic from the clinic switcher.\n"
        )
    try:
        send_mail(
            f"Your invitation to {clinic.name}", body, settings.DEFAULT_FROM_EMAIL, [user.email]
        )
    except (OSError, smtplib.SMTPException) as exc:
        raise AdminError(
            "The invitation was saved but the email could not be sent. Use “Send again” later."
        ) from exc


@transaction.atomic
def accept_invitation(*, user, password: str) -> None:
    """The invited person chose a password (checked by Django's validators in the form)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record(by=user, action="staff.invitation.accept", target=user, summary="Chose a password")


# --- Roles ------------------------------------------------------------------------------------
@transaction.atomic
def set_roles(*, clinic, user, roles: set[str], by) -> set[str]:
    """Make `roles` exactly the person's active roles at `clinic`; refuses to leave it adminless.

    An empty set is offboarding from this clinic: use `offboard_staff` for that.
    """
    require_admin(by, clinic)
    clinic = _lock_clinic(clinic)
    roles = set(roles)
    if not roles:
        raise AdminError("Keep at least one role, or use “Offboard” to remove this person.")
    if unknown := roles - set(ROLE_LABELS):
        raise AdminError(f"Unknown role: {', '.join(sorted(unknown))}.")
    memberships = {m.role: m for m in Membership.objects.filter(clinic=clinic, user=user)}
    if not any(m.is_active for m in memberships.values()):
        raise AdminError("This person does not work at this clinic.")
    before = {role for role, m in memberships.items() if m.is_active}
    for role in ROLE_LABELS:
        membership = memberships.get(role)
        wanted = role in roles
        if membership is None and wanted:
            Membership.objects.create(user=user, clinic=clinic, role=role)
        elif membership is not None and membership.is_active != wanted:
            membership.is_active = wanted
            membership.save(update_fields=["is_active", "updated_at"])
    if _active_admin_count(clinic) == 0:
        raise AdminError(f"{clinic.name} must keep at least one clinic admin.")
    _forget_cached_roles(user)
    if before != roles:
        record(
            by=by,
            action="staff.roles",
            target=user,
            clinic=clinic,
            summary=f"Roles of {user.display_name}: "
            + ", ".join(ROLE_LABELS[r].lower() for r in sorted(roles)),
            details={"before": sorted(before), "after": sorted(roles)},
        )
    return roles


def end_sessions(user) -> int:
    """Delete the database sessions of `user` (Django also refuses an inactive user's session)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def offboard_staff(*, clinic, user, by) -> bool:
    """End the person's roles at `clinic`. When no other clinic employs them, the account is
    deactivated: the gateway's credential receivers then revoke API tokens and calendar feeds, and
    their sessions end here. Returns True when the account was deactivated."""
    require_admin(by, clinic)
    clinic = _lock_clinic(clinic)
    if user.pk == by.pk:
        raise AdminError("You cannot offboard yourself. Ask another clinic admin.")
    ended = Membership.objects.filter(clinic=clinic, user=user, is_active=True).update(
        is_active=False
    )
    if not ended:
        raise AdminError("This person does not work at this clinic.")
    if _active_admin_count(clinic) == 0:
        raise AdminError(f"{clinic.name} must keep at least one clinic admin.")
    _forget_cached_roles(user)
    deactivated = not Membership.objects.filter(user=user, is_active=True).exists()
    if deactivated:
        user.is_active = False
        user.save(update_fields=["is_active"])  # gateway.signals ends tokens and feeds
        end_sessions(user)  # in the transaction: a failed offboarding keeps them signed in
    record(
        by=by,
        action="staff.offboard",
        target=user,
        clinic=clinic,
        summary=f"Offboarded {user.display_name}"
        + (" and closed the account" if deactivated else " (still works at another clinic)"),
        details={"account_closed": deactivated},
    )
    return deactivated


# --- Registrations and needling authorisations -----------------------------------------------
def _works_here(clinic, user) -> None:
    if not Membership.objects.filter(clinic=clinic, user=user, is_active=True).exists():
        raise AdminError("This person does not work at this clinic.")


@transaction.atomic
def add_registration(*, clinic, user, by, **fields) -> ProfessionalRegistration:
    require_admin(by, clinic)
    _works_here(clinic, user)
    registration = ProfessionalRegistration(user=user, **fields)
    try:
        registration.full_clean()
        with transaction.atomic():
            registration.save()
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    except IntegrityError as exc:
        raise AdminError("That regulator already has a registration with this number.") from exc
    record(
        by=by,
        action="staff.registration.add",
        target=user,
        clinic=clinic,
        summary=f"Registration {registration} for {user.display_name}",
        details={"expires_on": str(registration.expires_on or "")},
    )
    return registration


@transaction.atomic
def add_authorisation(*, clinic, user, by, **fields) -> NeedlingAuthorisation:
    require_admin(by, clinic)
    _works_here(clinic, user)
    authorisation = NeedlingAuthorisation(user=user, **fields)
    try:
        authorisation.full_clean()
        with transaction.atomic():
            authorisation.save()
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    except IntegrityError as exc:
        raise AdminError("An authorisation cannot expire before it was issued.") from exc
    record(
        by=by,
        action="staff.authorisation.add",
        target=user,
        clinic=clinic,
        summary=f"Needling authorisation {authorisation} for {user.display_name}",
        details={"expires_on": str(authorisation.expires_on)},
    )
    return authorisation


# --- Clinic settings --------------------------------------------------------------------------
CLINIC_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "phone",
    "email",
    "website",
    "time_zone",
    "region",
    "require_staff_2fa",
)


@transaction.atomic
def update_clinic_settings(*, clinic, fields: dict, policies: dict, by) -> Clinic:
    """Save the clinic's details and its policies; the policies are validated whole (PolicyError)
    and stored as the schema dumps them, so every key is explicit after the first save."""
    require_admin(by, clinic)
    clinic = _lock_clinic(clinic)
    validated = validate_policies(policies)
    changed = {}
    for name, value in fields.items():
        if name not in CLINIC_FIELDS:
            raise AdminError(f"{name} is not a clinic setting.")
        if getattr(clinic, name) != value:
            changed[name] = value
            setattr(clinic, name, value)
    new_policies = validated.to_json()
    policies_changed = sorted(
        key for key in new_policies if (clinic.policies or {}).get(key) != new_policies[key]
    )
    clinic.policies = new_policies
    try:
        clinic.full_clean()
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    clinic.save()
    record(
        by=by,
        action="clinic.settings",
        target=clinic,
        clinic=clinic,
        summary="Clinic settings saved",
        details={"fields": sorted(changed), "policies": policies_changed},
    )
    return clinic


# --- Services ---------------------------------------------------------------------------------
SERVICE_FIELDS = (
    "name",
    "kind",
    "mode",
    "duration_minutes",
    "buffer_minutes",
    "colour",
    "bookable_online",
    "price",
    "position",
    "is_active",
    "video_url",
)


def _save_service(service: Service) -> None:
    try:
        service.full_clean()
        with transaction.atomic():
            service.save()
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    except IntegrityError as exc:
        raise AdminError("This clinic already has a service with that name.") from exc


@transaction.atomic
def create_service(*, clinic, by, **fields) -> Service:
    require_admin(by, clinic)
    if unknown := set(fields) - set(SERVICE_FIELDS):
        raise AdminError(f"Not a service setting: {', '.join(sorted(unknown))}.")
    service = Service(clinic=clinic, **fields)
    _save_service(service)
    record(
        by=by,
        action="service.create",
        target=service,
        clinic=clinic,
        summary=f"Added the service {service.name}",
    )
    return service


@transaction.atomic
def update_service(*, service, by, **fields) -> Service:
    require_admin(by, service.clinic)
    if unknown := set(fields) - set(SERVICE_FIELDS):
        raise AdminError(f"Not a service setting: {', '.join(sorted(unknown))}.")
    service = Service.objects.select_for_update().get(pk=service.pk)
    changed = sorted(name for name, value in fields.items() if getattr(service, name) != value)
    for name, value in fields.items():
        setattr(service, name, value)
    _save_service(service)
    if changed:
        record(
            by=by,
            action="service.deactivate"
            if changed == ["is_active"] and not service.is_active
            else "service.update",
            target=service,
            clinic=service.clinic,
            summary=f"Changed the service {service.name}: {', '.join(changed)}",
            details={"fields": changed},
        )
    return service


def deactivate_service(*, service, by) -> Service:
    """Hidden from booking; existing appointments keep it."""
    return update_service(service=service, by=by, is_active=False)


@transaction.atomic
def add_default_services(*, clinic, by) -> list[Service]:
    """Give a new clinic the usual IMS services (scheduling.DEFAULT_SERVICES) to edit."""
    require_admin(by, clinic)
    before = set(Service.objects.filter(clinic=clinic).values_list("pk", flat=True))
    services = create_default_services(clinic)
    added = [s.name for s in services if s.pk not in before]
    record(
        by=by,
        action="service.defaults",
        target=clinic,
        clinic=clinic,
        summary=f"Added the usual services: {', '.join(added) or 'none missing'}",
    )
    return services


# --- Logo -------------------------------------------------------------------------------------
def set_logo(*, clinic, data: bytes, by) -> Clinic:
    """Check and re-encode an uploaded logo (clinics.logo: PNG or JPEG, SVG refused), store it
    and point the clinic at it. The file is written before the transaction (storage is not
    transactional); a failed save removes it, and the old logo is removed after the commit."""
    from imsclinic.clinics import logo

    require_admin(by, clinic)
    try:
        png = logo.normalise(data)
    except logo.LogoError as exc:
        raise AdminError(exc.message) from exc
    name = logo.store(clinic, png)
    try:
        with transaction.atomic():
            locked = _lock_clinic(clinic)
            old = locked.logo.name
            locked.logo.name = name
            locked.save(update_fields=["logo", "updated_at"])
            record(
                by=by,
                action="clinic.logo",
                target=locked,
                clinic=locked,
                summary="Clinic logo uploaded",
                details={"bytes": len(png)},
            )
    except Exception:
        logo.delete_quietly(name)
        raise
    if old and old != name:
        transaction.on_commit(lambda: logo.delete_quietly(old))
    clinic.logo.name = name
    return locked


@transaction.atomic
def remove_logo(*, clinic, by) -> None:
    from imsclinic.clinics import logo

    require_admin(by, clinic)
    locked = _lock_clinic(clinic)
    old = locked.logo.name
    if not old:
        raise AdminError("This clinic has no logo.")
    locked.logo.name = ""
    locked.save(update_fields=["logo", "updated_at"])
    record(by=by, action="clinic.logo.remove", target=locked, clinic=locked, summary="Logo removed")
    transaction.on_commit(lambda: logo.delete_quietly(old))
    clinic.logo.name = ""
