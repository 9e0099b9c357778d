"""Writes to sign-in credentials: two-factor enrolment and verification.

Each action is atomic and records one audit event. TOTP secrets and backup codes are never put
in the audit trail, only the fact that they were created or used.
"""

from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from imsclinic.audit.services import record

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows (created on first visit).

    An unconfirmed device is not a credential: nothing accepts it until `confirm_totp_device`.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(*, device: TOTPDevice, token: str, by, request=None) -> list[str] | None:
    """Confirm enrolment with a code from the app; return fresh backup codes, or None if wrong.

    Confirming replaces any earlier authenticator and backup codes of this user, so a lost phone
    is handled by enrolling again. With `request`, the session counts as verified right away.
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=by, confirmed=False)
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=by).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=by).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup = StaticDevice.objects.create(user=by, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    if request is not None:
        otp_login(request, device)
        request.session.cycle_key()
    record(
        by=by,
        action="auth.2fa.enrol",
        target=by,
        summary=f"Enrolled an authenticator app and {BACKUP_CODE_COUNT} backup codes",
    )
    return codes


@transaction.atomic
def verify_second_factor(*, request, token: str):
    """Check a TOTP or backup code for the signed-in user; on success mark the session verified.

    Returns the device that accepted the code, or None. TOTP codes are accepted once (the device
    remembers the last time step) and backup codes are deleted when used. Both outcomes are
    audited; the session key rotates on success, as it does on the password step.
    """
    user = request.user
    device = match_token(user, token)
    if device is None:
        record(by=user, action="auth.2fa.failed", target=user, summary="Wrong second-factor code")
        return None
    otp_login(request, device)
    request.session.cycle_key()
    kind = "backup code" if isinstance(device, StaticDevice) else "authenticator app"
    record(by=user, action="auth.2fa.verified", target=user, summary=f"Verified with {kind}")
    return device
