"""Sign in by username or email, sign out, and reset a forgotten password by email."""

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "alice@example.org", "Alice@Example.org"])
def test_sign_in_with_username_or_email(client, alice, password, identifier):
    response = client.post(reverse("login"), {"username": identifier, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("today")).status_code == 200


def test_sign_out_ends_the_session(client, alice):
    client.force_login(alice)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("today"))["Location"].startswith(reverse("login"))


def test_password_reset_by_email(client, alice):
    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "a-fresh-long-password-9"
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response["Location"] == reverse("password_reset_complete")
    client.logout()
    signed_in = client.post(reverse("login"), {"username": "alice", "password": new_password})
    assert signed_in.status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
