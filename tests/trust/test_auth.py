"""Authentication: generic errors, lockout, session rotation and limits, TOTP two-factor.

Each test drives the real login pages through Django's test client; TOTP codes are computed from
the enrolled device's own key, as a phone would.
"""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from imsclinic.audit.models import AuditEvent
from imsclinic.core.middleware import AUTH_AT_KEY, LAST_SEEN_KEY
from tests.factories.accounts import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
GENERIC = "That username or email and password do not match an active account."


def post_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def code_for(device, *, offset_steps=0):
    """The code the authenticator app shows now (or `offset_steps` steps from now)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - offset_steps * device.step, digits=device.digits):06d}"


# --- Passwords: generic errors, lockout ---------------------------------------------------------


def test_wrong_password_and_unknown_account_get_the_same_message(client, alice):
    wrong = post_login(client, "alice", "not-her-password").content.decode()
    unknown = post_login(client, "nobody-here", "whatever-password").content.decode()
    assert GENERIC in wrong and GENERIC in unknown
    assert "alice" not in unknown


def test_five_failures_lock_the_username_even_for_the_right_password(client, alice, password):
    statuses = [
        post_login(client, "alice", "wrong-password").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The limit-th failure is the one that locks.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = post_login(client, "alice", password)
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Too many sign-in attempts" in body and "try again later" in body
    assert "_auth_user_id" not in client.session
    # Case and spaces do not make a fresh username.
    assert post_login(client, "  ALICE ", password).status_code == 429


def test_lockout_page_is_identical_for_an_account_that_does_not_exist(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "alice", "wrong-password", HTTP_USER_AGENT="a")
        post_login(client, "ghost", "wrong-password", HTTP_USER_AGENT="b")
    real = post_login(client, "alice", "x", HTTP_USER_AGENT="c")
    ghost = post_login(client, "ghost", "x", HTTP_USER_AGENT="d")
    assert real.status_code == ghost.status_code == 429

    def strip(response):  # CSRF tokens differ per response by design
        return re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())

    assert strip(real) == strip(ghost)


def test_lockout_ends_after_the_cool_off(client, alice, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "alice", "wrong-password")
    assert post_login(client, "alice", password).status_code == 429
    earlier = timezone.now() - settings.AXES_COOLOFF_TIME - timezone.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=earlier)
    response = post_login(client, "alice", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_one_browser_spraying_many_usernames_is_locked(client, alice, bob, password):
    for i in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, f"user{i}", "guess", HTTP_USER_AGENT="sprayer")
    assert post_login(client, "bob", password, HTTP_USER_AGENT="sprayer").status_code == 429
    # Another device at the same clinic address is not locked by the sprayer.
    assert post_login(client, "bob", password, HTTP_USER_AGENT="desk-2").status_code == 302


def test_api_bearer_token_is_not_affected_by_a_password_lockout(client, alice):
    from imsclinic.gateway.actions import create_personal_token

    _, raw = create_personal_token(user=alice, by=alice, name="test")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        post_login(client, "alice", "wrong-password")
    response = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


# --- Sessions ----------------------------------------------------------------------------------


def test_session_key_rotates_on_login(client, alice, password):
    session = client.session
    session["planted"] = "by-attacker"
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert post_login(client, "alice", password).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    from django.contrib.sessions.backends.db import SessionStore

    assert not SessionStore().exists(before), "the pre-login session must be gone"


def _age_session(client, **keys):
    session = client.session
    for key, seconds_ago in keys.items():
        session[key] = time.time() - seconds_ago
    session.save()


def test_idle_session_is_signed_out(client, alice, password):
    post_login(client, "alice", password)
    assert client.get("/patients/").status_code == 200
    idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    assert idle <= 30 * 60
    _age_session(client, **{LAST_SEEN_KEY: idle + 5})
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get("/patients/")["Location"].startswith(LOGIN)  # really signed out


def test_active_session_ends_at_the_absolute_lifetime(client, alice, password):
    post_login(client, "alice", password)
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600
    _age_session(client, **{AUTH_AT_KEY: lifetime + 5, LAST_SEEN_KEY: 10})
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_session_within_limits_stays_signed_in(client, alice, password):
    post_login(client, "alice", password)
    _age_session(client, **{LAST_SEEN_KEY: 60 * 20, AUTH_AT_KEY: 3600})
    assert client.get("/patients/").status_code == 200


# --- Two-factor --------------------------------------------------------------------------------


@pytest.fixture
def clinic_requires_2fa(clinic_a):
    clinic_a.require_staff_2fa = True
    clinic_a.save(update_fields=["require_staff_2fa"])
    return clinic_a


def prove_it_is_me(client, password=TEST_PASSWORD):
    """The step before enrolment: the password again, then the code from the email."""
    client.post(reverse("two_factor_confirm"), {"pw-password": password})
    code = re.search(r"is (\d{6})\.", mail.outbox[-1].body).group(1)
    response = client.post(reverse("two_factor_confirm"), {"code-code": code})
    assert response.status_code == 302, response.content


def enrol(client):
    """Walk the enrolment page like a person: scan, type the code, keep the backup codes."""
    prove_it_is_me(client)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user__username=page.wsgi_request.user.username, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": code_for(device)})
    assert response.status_code == 200, response.content
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return TOTPDevice.objects.get(pk=device.pk), codes


def test_clinic_requiring_2fa_sends_staff_to_enrol_before_any_page(
    client, clinic_requires_2fa, alice, password
):
    post_login(client, "alice", password)
    for path in ("/patients/", "/patients/", "/accounts/2fa/"):
        response = client.get(path)
        if path == "/accounts/2fa/":
            assert response.status_code == 200
            continue
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_setup"))
    # The API refuses the half-signed-in session too.
    assert client.get("/api/v1/patients").status_code == 401


def test_enrolment_shows_an_svg_qr_code_and_backup_codes_once(
    client, clinic_requires_2fa, alice, password
):
    post_login(client, "alice", password)
    prove_it_is_me(client, password)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "<svg" in page and "otpauth" not in page.split("<svg")[0][-200:]
    assert "style=" not in page and "<script>" not in page
    device, codes = enrol(client)
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=alice).count() == 10
    # Enrolment verified this session: staff pages open now.
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa.enrol", actor_username="alice").count() == 1
    # The codes are never shown again.
    assert not any(code in client.get("/accounts/2fa/").content.decode() for code in codes)


def test_wrong_enrolment_code_enrols_nothing(client, alice, password):
    post_login(client, "alice", password)
    prove_it_is_me(client, password)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=alice)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("two_factor_setup"), {"token": wrong})
    assert "did not match" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.exists()


def test_enrolled_user_must_verify_after_the_password(client, alice, password):
    post_login(client, "alice", password)
    device, _ = enrol(client)
    client.post("/accounts/logout/")
    # Next day: the password alone is not enough, even though the clinic does not require 2FA.
    post_login(client, "alice", password)
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor_verify')}?next=/patients/"
    key_before = client.session.session_key
    response = client.post(
        reverse("two_factor_verify"),
        {"token": code_for(device, offset_steps=1), "next": "/patients/"},
    )
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert client.session.session_key != key_before
    assert client.get("/patients/").status_code == 200


def test_a_totp_code_cannot_be_replayed(client, alice, password):
    post_login(client, "alice", password)
    device, _ = enrol(client)
    code = code_for(device, offset_steps=1)
    client.post("/accounts/logout/")
    post_login(client, "alice", password)
    assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302
    client.post("/accounts/logout/")
    post_login(client, "alice", password)
    response = client.post(reverse("two_factor_verify"), {"token": code})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert client.get("/patients/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.2fa.failed").count() == 1


def test_a_backup_code_works_once(client, clinic_requires_2fa, alice, password):
    post_login(client, "alice", password)
    _, codes = enrol(client)
    for expected in (302, 200):
        client.post("/accounts/logout/")
        post_login(client, "alice", password)
        response = client.post(reverse("two_factor_verify"), {"token": codes[0].upper()})
        assert response.status_code == expected
    assert StaticToken.objects.filter(device__user=alice).count() == 9


def test_verify_page_rejects_an_unsafe_next(client, alice, password):
    post_login(client, "alice", password)
    device, _ = enrol(client)
    client.post("/accounts/logout/")
    post_login(client, "alice", password)
    response = client.post(
        reverse("two_factor_verify"),
        {"token": code_for(device, offset_steps=1), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_force_login_without_2fa_clinic_is_unaffected(client, bob):
    client.force_login(bob)
    assert client.get("/patients/").status_code == 200
