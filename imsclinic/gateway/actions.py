"""Writes for API access: issuing, revoking and ending tokens."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from imsclinic.accounts.models import Membership, Role, User
from imsclinic.audit.services import record
from imsclinic.gateway.models import DEFAULT_LIFETIME_DAYS, SCOPES, ApiToken, hash_token

# A token may be asked to live longer than the default, but not for ever.
MAX_LIFETIME_DAYS = 366


class TokenError(ValueError):
    """A token request that cannot be honoured; the message says why."""


@transaction.atomic
def create_personal_token(*, user, by, name: str, expires_in_days: int = DEFAULT_LIFETIME_DAYS):
    """Issue a token that acts as `user`. Returns (token row, raw token shown once)."""
    if not user.is_active:
        raise TokenError(f"{user.username} is not an active account.")
    if not user.is_clinic_staff:
        raise TokenError("API tokens are for clinic staff.")
    return _issue(user=user, clinic=None, scopes=[], by=by, name=name, days=expires_in_days)


@transaction.atomic
def create_integration_token(
    *, clinic, by, name: str, scopes: list[str], expires_in_days: int = DEFAULT_LIFETIME_DAYS
):
    """Issue a clinic-level token for a partner system, acting as a dedicated service user."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"Scopes must be among {sorted(SCOPES)}; got {scopes}.")
    _check_lifetime(expires_in_days)
    base = f"integration-{clinic.slug}-{slugify(name)}"[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    service_user = User(username=username, first_name=name[:150], last_name="(integration)")
    service_user.set_unusable_password()
    service_user.save()
    Membership.objects.create(user=service_user, clinic=clinic, role=Role.CLINIC_ADMIN)
    return _issue(
        user=service_user,
        clinic=clinic,
        scopes=sorted(set(scopes)),
        by=by,
        name=name,
        days=expires_in_days,
    )


def _check_lifetime(days) -> None:
    if not isinstance(days, int) or not 1 <= days <= MAX_LIFETIME_DAYS:
        raise TokenError(f"A token lives between 1 and {MAX_LIFETIME_DAYS} days.")


def _issue(*, user, clinic, scopes, by, name, days):
    _check_lifetime(days)
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        name=name or "API token",
        user=user,
        clinic=clinic,
        scopes=scopes,
        prefix=raw[:12],
        token_hash=hash_token(raw),
        created_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    record(
        by=by,
        action="api_token.create",
        target=token,
        clinic=clinic,
        summary=f"API token {token.prefix}… for {user.username}",
        details={"scopes": scopes, "integration": clinic is not None, "days": days},
    )
    return token, raw


def revocable_by(user):
    """Tokens `user` may revoke: their own, and at clinics they administer, the tokens of that
    clinic's staff and its integration tokens."""
    admin_clinics = [c for c, roles in user.roles_by_clinic().items() if Role.CLINIC_ADMIN in roles]
    staff_ids = Membership.objects.filter(clinic_id__in=admin_clinics, is_active=True).values(
        "user_id"
    )
    return ApiToken.objects.filter(
        Q(user_id=user.pk) | Q(user_id__in=staff_ids) | Q(clinic_id__in=admin_clinics)
    )


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> None:
    """Revoke one token. `by` is None for the command line (the operator); a person may revoke
    their own tokens, and a clinic admin those of their clinic's staff and integrations."""
    if by is not None and not revocable_by(by).filter(pk=token.pk).exists():
        raise PermissionDenied("You may revoke only your own tokens, or your staff's as admin.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            by=by,
            action="api_token.revoke",
            target=token,
            clinic=token.clinic,
            summary=f"Revoked {token.prefix}…",
        )


@transaction.atomic
def revoke_all_tokens(*, user, by, reason: str) -> int:
    """End every usable token of `user` (deactivated, or the password changed)."""
    now = timezone.now()
    count = ApiToken.objects.usable().filter(user=user).update(revoked_at=now)
    if count:
        record(
            by=by,
            action="api_token.revoke_all",
            target=user,
            summary=f"Revoked {count} API token(s) of {user.username}: {reason}",
            details={"count": count, "reason": reason},
        )
    return count
