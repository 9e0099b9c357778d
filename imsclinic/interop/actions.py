"""Writes for API access: issuing and revoking tokens."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from imsclinic.accounts.models import Membership, Role, User
from imsclinic.audit.services import record
from imsclinic.interop.models import SCOPES, ApiToken, hash_token


class TokenError(ValueError):
    """A token request that cannot be honoured; the message says why."""


@transaction.atomic
def create_personal_token(*, user, by, name: str, expires_in_days: int | None = None):
    """Issue a token that acts as `user`. Returns (token row, raw token shown once)."""
    if not user.is_active:
        raise TokenError(f"{user.username} is not an active account.")
    if not user.is_clinic_staff:
        raise TokenError("API tokens are for clinic staff.")
    return _issue(user=user, clinic=None, scopes=[], by=by, name=name, days=expires_in_days)


@transaction.atomic
def create_integration_token(
    *, clinic, by, name: str, scopes: list[str], expires_in_days: int | None = None
):
    """Issue a clinic-level token for a partner system, acting as a dedicated service user."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"Scopes must be among {sorted(SCOPES)}; got {scopes}.")
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


def _issue(*, user, clinic, scopes, by, name, days):
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        name=name or "API token",
        user=user,
        clinic=clinic,
        scopes=scopes,
        prefix=raw[:12],
        token_hash=hash_token(raw),
        created_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
    )
    record(
        by=by,
        action="api_token.create",
        target=token,
        clinic=clinic,
        summary=f"API token {token.prefix}… for {user.username}",
        details={"scopes": scopes, "integration": clinic is not None},
    )
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> None:
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
def import_patients(*, clinic, by, patients: list[tuple[dict, str | None]]):
    """Create validated patients (registry fields, chart number or None) in one transaction.

    Each patient is registered through patients.actions.create_patient (its own audit event);
    this action adds one event for the import as a whole.
    """
    from imsclinic.patients.actions import create_patient

    created = [
        create_patient(clinic=clinic, by=by, fields=fields, chart_number=chart_number)
        for fields, chart_number in patients
    ]
    record(
        by=by,
        action="fhir.import",
        clinic=clinic,
        summary=f"Imported {len(created)} patient(s) from FHIR",
        details={"count": len(created)},
    )
    return created


@transaction.atomic
def record_export(*, clinic, by, kind: str, counts: dict | None = None, patient=None):
    """Audit an export of clinic or patient data (who, what kind, how many of each)."""
    record(
        by=by,
        action=f"export.{kind}",
        clinic=clinic,
        patient=patient,
        target=patient,
        summary=f"Exported {kind}" + (f" for chart {patient.chart_number}" if patient else ""),
        details={"counts": counts or {}},
    )
