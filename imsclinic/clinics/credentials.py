"""Registrations and needling authorisations that have expired or expire soon, per clinic."""

import datetime
from dataclasses import dataclass

from imsclinic.accounts.models import Membership, NeedlingAuthorisation, ProfessionalRegistration

WARN_DAYS = 30


@dataclass(frozen=True)
class ExpiryWarning:
    person: object
    what: str
    expires_on: datetime.date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def message(self) -> str:
        if self.expired:
            return f"{self.person.display_name}: {self.what} expired on {self.expires_on:%d %b %Y}."
        if self.days_left == 0:
            return f"{self.person.display_name}: {self.what} expires today."
        return (
            f"{self.person.display_name}: {self.what} expires on {self.expires_on:%d %b %Y} "
            f"(in {self.days_left} day{'s' if self.days_left != 1 else ''})."
        )


def expiry_warnings(clinic, *, on: datetime.date, user=None) -> list[ExpiryWarning]:
    """Credentials of the clinic's active staff (or of `user`) that expire within WARN_DAYS of `on`
    or have expired (an expired one stays listed until a current one replaces it)."""
    staff_ids = Membership.objects.filter(
        clinic=clinic, is_active=True, user__is_active=True
    ).values("user_id")
    horizon = on + datetime.timedelta(days=WARN_DAYS)
    registrations = ProfessionalRegistration.objects.filter(
        user_id__in=staff_ids, expires_on__isnull=False
    ).select_related("user")
    authorisations = NeedlingAuthorisation.objects.filter(
        user_id__in=staff_ids, revoked_at__isnull=True
    ).select_related("user")
    if user is not None:
        registrations = registrations.filter(user=user)
        authorisations = authorisations.filter(user=user)
    warnings = []
    latest: dict[tuple, datetime.date] = {}
    for row in registrations:
        key = (row.user_id, "registration", row.regulator)
        latest[key] = max(latest.get(key, row.expires_on), row.expires_on)
    for row in authorisations:
        key = (row.user_id, "authorisation", row.jurisdiction, row.modality)
        latest[key] = max(latest.get(key, row.expires_on), row.expires_on)
    seen = set()
    for row in list(registrations) + list(authorisations):
        is_registration = isinstance(row, ProfessionalRegistration)
        key = (
            (row.user_id, "registration", row.regulator)
            if is_registration
            else (row.user_id, "authorisation", row.jurisdiction, row.modality)
        )
        # Only the newest of a kind counts: a renewed registration silences the old one.
        if key in seen or row.expires_on != latest[key]:
            continue
        seen.add(key)
        if row.expires_on > horizon:
            continue
        what = (
            f"registration with {row.regulator} (#{row.number})"
            if is_registration
            else f"{row.get_modality_display()} authorisation in {row.jurisdiction} (#{row.number})"
        )
        warnings.append(ExpiryWarning(row.user, what, row.expires_on, (row.expires_on - on).days))
    return sorted(warnings, key=lambda w: (w.expires_on, w.person.display_name))
