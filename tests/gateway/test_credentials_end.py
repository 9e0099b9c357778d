"""Deactivating an account or changing its password ends its tokens, calendar feeds and sessions
(issue 13: calendar feeds kept working after offboarding; tokens survived a password reset)."""

import re

import pytest
from django.core import mail
from django.test import Client

from imsclinic.audit.models import AuditEvent
from imsclinic.gateway import actions
from imsclinic.scheduling import actions as scheduling_actions
from imsclinic.scheduling.models import CalendarFeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_credentials(client, alice, clinic_a, patient_a):
    """A signed-in browser, an API token and a calendar feed link, all working."""
    _, raw = actions.create_personal_token(user=alice, by=alice, name="Scripts")
    feed = scheduling_actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    client.force_login(alice)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/patients/").status_code == 200
    assert api.get("/api/v1/patients").status_code == 200
    assert Client().get(f"/schedule/feed/{feed}.ics").status_code == 200
    return client, api, feed


def _all_ended(browser, api, feed):
    response = browser.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert api.get("/api/v1/patients").status_code == 401
    assert Client().get(f"/schedule/feed/{feed}.ics").status_code == 404
    assert not CalendarFeed.objects.exists()


def test_deactivating_a_user_ends_tokens_feeds_and_sessions(alice, alices_credentials):
    alice.is_active = False
    alice.save()
    _all_ended(*alices_credentials)
    assert AuditEvent.objects.filter(action="api_token.revoke_all").count() == 1
    assert AuditEvent.objects.filter(action="calendar_feed.end").count() == 1
    # Reactivating the account does not bring the old credentials back.
    alice.is_active = True
    alice.save()
    browser, api, feed = alices_credentials
    assert api.get("/api/v1/patients").status_code == 401
    assert Client().get(f"/schedule/feed/{feed}.ics").status_code == 404


def test_a_password_change_ends_tokens_feeds_and_sessions(alice, alices_credentials):
    alice.set_password("a-brand-new-long-passphrase")
    alice.save()
    _all_ended(*alices_credentials)


def test_a_password_reset_by_email_ends_them_too(alice, alices_credentials):
    alice.email = "alice@example.org"
    alice.save(update_fields=["email"])
    Client().post("/accounts/password-reset/", {"email": "alice@example.org"})
    link = re.search(r"/accounts/password-reset/\S+/\S+/", mail.outbox[-1].body).group(0)
    reset = Client()
    form = reset.get(link, follow=True)
    assert form.status_code == 200
    new_password = "another-long-passphrase-42"
    done = reset.post(
        form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    _all_ended(*alices_credentials)


def test_signing_in_does_not_end_anything(alice, alices_credentials, password):
    """The last-login stamp on every sign-in is a save of the user too: nothing ends."""
    browser, api, feed = alices_credentials
    Client().post("/accounts/login/", {"username": "alice", "password": password})
    assert api.get("/api/v1/patients").status_code == 200
    assert Client().get(f"/schedule/feed/{feed}.ics").status_code == 200
