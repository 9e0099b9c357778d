"""The portal shows the patient's records from other areas; its one table is the invitation
that lets a patient create their login."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models

from imsclinic.core.models import PublicIdModel, TimestampedModel

INVITATION_DAYS = 14
# Wrong dates of birth tried on one join link before the link stops working.
JOIN_ATTEMPTS = 5


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PortalInvitationQuerySet(models.QuerySet):
    def pending(self, now):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class PortalInvitation(PublicIdModel, TimestampedModel):
    """A one-time sign-up link for one patient. Only the token's hash is stored; a new
    invitation revokes the earlier ones. The link is only ever emailed to the patient (staff never
    see it), and joining asks for the patient's date of birth; JOIN_ATTEMPTS wrong dates revoke
    the link."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="portal_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong dates of birth entered on the join page"
    )

    objects = PortalInvitationQuerySet.as_manager()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def default_expiry(now) -> datetime.datetime:
        return now + datetime.timedelta(days=INVITATION_DAYS)
