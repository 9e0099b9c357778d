"""Lockout counts username and client address together; email and username share a counter;
behind a trusted proxy the address comes from X-Forwarded-For (issue 13, findings 6 and 10)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from imsclinic.audit.models import ChartAccess
from imsclinic.core.request_context import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"


def post_login(client, username, password, ip="127.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def test_an_attacker_cannot_lock_a_clinician_out_of_her_own_device(client, alice, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "alice", "guessing", ip=ATTACKER)
    assert post_login(client, "alice", password, ip=ATTACKER).status_code == 429
    signed_in = post_login(client, "alice", password, ip=VICTIM)
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_email_and_username_failures_share_one_counter(client, alice, password):
    # A new user agent each time, so only the username counter (not the per-browser one) counts.
    half = settings.AXES_FAILURE_LIMIT // 2
    for i in range(half):
        post_login(client, "alice@example.org", "guessing", ip=ATTACKER, HTTP_USER_AGENT=f"a{i}")
    for i in range(settings.AXES_FAILURE_LIMIT - half):
        post_login(client, "Alice", "guessing", ip=ATTACKER, HTTP_USER_AGENT=f"b{i}")
    for identifier in ("alice", "ALICE@example.org"):
        response = post_login(client, identifier, password, ip=ATTACKER, HTTP_USER_AGENT="c")
        assert response.status_code == 429
    assert post_login(client, "alice@example.org", password, ip=VICTIM).status_code == 302


def test_unknown_identifiers_still_lock_as_typed(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "ghost@example.org", "guessing", ip=ATTACKER, HTTP_USER_AGENT="x")
    assert AccessAttempt.objects.get().username == "ghost@example.org"


def test_forwarded_for_is_ignored_unless_trusted(rf, settings):
    settings.TRUST_X_FORWARDED_FOR = False
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.2"


def test_behind_a_trusted_proxy_the_address_it_appended_is_used(rf, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    # The client wrote "1.2.3.4" itself; the proxy appended the address it really saw.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_the_setting_is_read_from_the_environment(monkeypatch):
    import importlib

    import imsclinic.settings as settings_module

    monkeypatch.setenv("IMSCLINIC_TRUST_X_FORWARDED_FOR", "true")
    try:
        assert importlib.reload(settings_module).TRUST_X_FORWARDED_FOR is True
        monkeypatch.setenv("IMSCLINIC_TRUST_X_FORWARDED_FOR", "false")
        assert importlib.reload(settings_module).TRUST_X_FORWARDED_FOR is False
    finally:
        monkeypatch.delenv("IMSCLINIC_TRUST_X_FORWARDED_FOR")
        importlib.reload(settings_module)


def test_audit_rows_and_lockout_use_the_forwarded_address(
    client, alice, patient_a, password, settings
):
    settings.TRUST_X_FORWARDED_FOR = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "alice", "guessing", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # Same proxy, another client: not locked.
    response = client.post(
        LOGIN,
        {"username": "alice", "password": password},
        HTTP_X_FORWARDED_FOR=VICTIM,
        **proxy,
    )
    assert response.status_code == 302
    chart = reverse("patients:chart", kwargs={"patient_uuid": patient_a.uuid})
    assert client.get(chart, HTTP_X_FORWARDED_FOR=VICTIM, **proxy).status_code == 200
    assert list(ChartAccess.objects.values_list("ip_address", flat=True)) == [VICTIM]
