"""Enrolling an authenticator needs a fresh password and a code emailed to the account, never
the sign-in password alone (issue 13, findings 5 and 10)."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from imsclinic.accounts.actions import EMAIL_CODE_ATTEMPTS, ENROL_SESSION_KEY
from imsclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CONFIRM = reverse("two_factor_confirm")
SETUP = reverse("two_factor_setup")


@pytest.fixture
def signed_in(client, alice, password):
    response = client.post(reverse("login"), {"username": "alice", "password": password})
    assert response.status_code == 302
    return client


def emailed_code():
    return re.search(r"is (\d{6})\.", mail.outbox[-1].body).group(1)


def test_the_sign_in_password_alone_does_not_reach_the_secret(signed_in):
    response = signed_in.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(CONFIRM)
    assert signed_in.post(SETUP, {"token": "123456"})["Location"].startswith(CONFIRM)
    assert not TOTPDevice.objects.exists()


def test_a_wrong_password_sends_no_code(signed_in):
    response = signed_in.post(CONFIRM, {"pw-password": "not-the-password"})
    assert "That password is not right." in response.content.decode()
    assert mail.outbox == []
    assert signed_in.get(SETUP).status_code == 302


def test_password_then_emailed_code_opens_enrolment(signed_in, alice, password):
    signed_in.post(CONFIRM, {"pw-password": password})
    (message,) = mail.outbox
    assert message.to == [alice.email]
    # The password alone, even typed again, is not enough.
    assert signed_in.get(SETUP).status_code == 302
    response = signed_in.post(CONFIRM, {"code-code": emailed_code()})
    assert response.status_code == 302 and response["Location"] == SETUP
    page = signed_in.get(SETUP)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.2fa.enrol.code_sent", "auth.2fa.enrol.proved"} <= actions


def test_wrong_codes_run_out(signed_in, password):
    signed_in.post(CONFIRM, {"pw-password": password})
    right = emailed_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(EMAIL_CODE_ATTEMPTS):
        response = signed_in.post(CONFIRM, {"code-code": wrong})
        assert "That code is not right" in response.content.decode()
    late = signed_in.post(CONFIRM, {"code-code": right})
    assert "expired" in late.content.decode()
    assert signed_in.get(SETUP).status_code == 302


def test_an_old_code_expires(signed_in, password):
    signed_in.post(CONFIRM, {"pw-password": password})
    session = signed_in.session
    state = session[ENROL_SESSION_KEY]
    state["sent_at"] -= 11 * 60
    session[ENROL_SESSION_KEY] = state
    session.save()
    response = signed_in.post(CONFIRM, {"code-code": emailed_code()})
    assert "expired" in response.content.decode()
    assert signed_in.get(SETUP).status_code == 302


def test_a_code_for_another_session_does_not_work(client, alice, password, signed_in):
    from django.test import Client

    signed_in.post(CONFIRM, {"pw-password": password})
    code = emailed_code()
    thief = Client()
    thief.post(reverse("login"), {"username": "alice", "password": password})
    response = thief.post(CONFIRM, {"code-code": code})
    assert "Start again" in response.content.decode()
    assert thief.get(SETUP).status_code == 302
