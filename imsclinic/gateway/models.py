"""API access tokens (personal and clinic integration tokens).

The table keeps its first name, `interop_apitoken`: the model moved here from `interop` with
the API authentication it serves (migrations gateway 0001 and interop 0002 move only the state).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from imsclinic.core.models import PublicIdModel

# A token lives 90 days unless its creator asks otherwise: a leaked token that nobody remembers
# must not work forever.
DEFAULT_LIFETIME_DAYS = 90

TOKEN_PREFIX = "ims_"  # noqa: S105 - a public marker, not a secret

# Scopes an integration token may carry. Personal tokens act with the full rights of their user.
SCOPES = {
    "read": "Read patients, appointments and clinical records of the clinic",
    "write": "Create and change records through the same actions as the UI",
    "fhir": "FHIR R4 read and bulk export",
    "admin": "Manage the clinic's staff, roles and services (a clinic admin's token)",
}


def hash_token(raw: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Not revoked and not expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(PublicIdModel):
    """A bearer token for the JSON API. Only its hash is stored; the token is shown once.

    A personal token acts as its user. A clinic integration token acts as a dedicated service
    user holding a role at exactly one clinic, further limited by `scopes`.
    """

    name = models.CharField(max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Set for clinic integration tokens",
    )
    scopes = models.JSONField(default=list, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        db_table = "interop_apitoken"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        """A human label for lists: Active, Expired or Revoked."""
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "Expired"
        return "Active"

    @property
    def is_integration(self) -> bool:
        return self.clinic_id is not None

    def allows(self, scope: str) -> bool:
        return not self.is_integration or scope in self.scopes

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)
