"""Writes to sign-in credentials: two-factor enrolment (after a fresh password and an emailed
code) and verification.

Each action is atomic and records one audit event. TOTP secrets and backup codes are never put
in the audit trail, only the fact that they were created or used.
"""

import hashlib
import hmac
import secrets
import smtplib
import time

from django.conf import settings
from django.core.mail import send_mail
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
    if request is not None and not enrolment_proved(request):
        raise EnrolmentProofError("Confirm your password and the emailed code first.")
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
        request.session.pop(ENROL_SESSION_KEY, None)  # one proof, one enrolment
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


# --- Proving it is really you before enrolling an authenticator ------------------------------
# A stolen password alone must not be enough to attach the thief's phone to an account. Before
# the enrolment page shows a secret, the user types their password again (fresh: not the one
# from sign-in) and then a code emailed to the address on the account. The proof lives in the
# server-side session for ENROL_PROOF_MINUTES.
ENROL_SESSION_KEY = "_imsclinic_2fa_enrol_proof"
ENROL_PROOF_MINUTES = 10
EMAIL_CODE_MINUTES = 10
EMAIL_CODE_ATTEMPTS = 5


class EnrolmentProofError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _code_hash(code: str, session_key: str) -> str:
    return hashlib.sha256(f"{session_key}:{code}".encode()).hexdigest()


def send_enrolment_code(*, request, password: str) -> str:
    """Check the password again and email a one-time code; returns the address it went to.

    The audit event commits first and the email is sent after, outside any transaction.
    """
    user = request.user
    if not user.check_password(password):
        record(by=user, action="auth.2fa.enrol.refused", target=user, summary="Wrong password")
        raise EnrolmentProofError("That password is not right.")
    if not user.email:
        raise EnrolmentProofError(
            "Your account has no email address, so no code can be sent. Ask your clinic admin "
            "to add one, then try again."
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    if request.session.session_key is None:
        request.session.save()
    request.session[ENROL_SESSION_KEY] = {
        "user": user.pk,
        "code": _code_hash(code, request.session.session_key),
        "sent_at": time.time(),
        "attempts": 0,
        "proved_at": None,
    }
    record(
        by=user,
        action="auth.2fa.enrol.code_sent",
        target=user,
        summary="Emailed a code to confirm authenticator enrolment",
    )
    body = (
        f"Your code to set up two-step sign-in is {code}. It works for {EMAIL_CODE_MINUTES} "
        "minutes.\n\nIf you did not ask for this, someone may know your password: change it and "
        "tell your clinic admin.\n"
    )
    try:
        send_mail(
            "Your code to set up two-step sign-in", body, settings.DEFAULT_FROM_EMAIL, [user.email]
        )
    except (OSError, smtplib.SMTPException) as exc:
        request.session.pop(ENROL_SESSION_KEY, None)
        raise EnrolmentProofError(
            "The email with your code could not be sent. Please try again in a few minutes."
        ) from exc
    return user.email


@transaction.atomic
def confirm_enrolment_code(*, request, code: str) -> None:
    """Check the emailed code; on success the session may enrol for ENROL_PROOF_MINUTES."""
    user = request.user
    state = request.session.get(ENROL_SESSION_KEY)
    if not state or state.get("user") != user.pk:
        raise EnrolmentProofError("Start again: enter your password to get a new code.")
    expired = time.time() - state["sent_at"] > EMAIL_CODE_MINUTES * 60
    if expired or state["attempts"] >= EMAIL_CODE_ATTEMPTS:
        request.session.pop(ENROL_SESSION_KEY, None)
        raise EnrolmentProofError("That code has expired. Enter your password to get a new one.")
    expected = state["code"]
    if not hmac.compare_digest(expected, _code_hash(code, request.session.session_key)):
        state["attempts"] += 1
        request.session[ENROL_SESSION_KEY] = state
        record(by=user, action="auth.2fa.enrol.refused", target=user, summary="Wrong email code")
        raise EnrolmentProofError("That code is not right. Check the latest email we sent.")
    state["proved_at"] = time.time()
    state["code"] = ""
    request.session[ENROL_SESSION_KEY] = state
    record(
        by=user,
        action="auth.2fa.enrol.proved",
        target=user,
        summary="Confirmed by password and email",
    )


def enrolment_proved(request) -> bool:
    state = request.session.get(ENROL_SESSION_KEY)
    return bool(
        state
        and state.get("user") == request.user.pk
        and state.get("proved_at")
        and time.time() - state["proved_at"] <= ENROL_PROOF_MINUTES * 60
    )


def enrolment_code_sent(request) -> bool:
    state = request.session.get(ENROL_SESSION_KEY)
    return bool(state and state.get("user") == request.user.pk and state.get("code"))


# --- Setting up a clinic (production has no Django admin) -------------------------------------
class SetupError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def create_clinic_with_admin(
    *, name: str, slug: str, time_zone: str, region: str, username: str, email: str, password: str
):
    """A new clinic and its first clinic admin (who then invites everyone else in the app)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from imsclinic.accounts.models import Clinic, Membership, Role, User

    if Clinic.objects.filter(slug=slug).exists():
        raise SetupError(f"A clinic with the short name {slug!r} already exists.")
    if User.objects.filter(username__iexact=username).exists():
        raise SetupError(f"The username {username!r} is taken.")
    clinic = Clinic(name=name, slug=slug, time_zone=time_zone, region=region)
    user = User(username=username, email=email, is_demo_account=False)
    try:
        clinic.full_clean()
        validate_password(password, user)
    except ValidationError as exc:
        raise SetupError(" ".join(exc.messages)) from exc
    clinic.save()
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, clinic=clinic, role=Role.CLINIC_ADMIN)
    record(
        by=None,
        action="clinic.create",
        target=clinic,
        clinic=clinic,
        summary=f"Clinic set up with {username} as its clinic admin",
    )
    return clinic, user
