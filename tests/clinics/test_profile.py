"""My profile: the signed-in staff member's name, designation and credentials, read-only, with
who may change them."""

import datetime

import pytest
from django.urls import reverse

from tests.factories.accounts import NeedlingAuthorisationFactory

pytestmark = pytest.mark.django_db


def test_a_practitioner_sees_designation_credentials_and_who_to_ask(client, alice, olivia):
    NeedlingAuthorisationFactory(
        user=alice,
        number="DN-OLD",
        issued_on=datetime.date(2018, 1, 1),
        expires_on=datetime.date(2020, 6, 30),
    )
    client.force_login(alice)
    response = client.get(reverse("profile:me"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "My profile" in text
    assert "<dt>Designation</dt><dd>Physiotherapist</dd>" in text
    assert alice.registrations.get().number in text
    assert "Expired on 30 Jun 2020" in text  # the old authorisation
    assert "Current, expires in" in text  # the current one
    assert "ask Olivia Owner" in text
    # Read-only: nothing on the page writes.
    assert 'method="post" action="/clinic-admin' not in text
    assert "<form" not in text.split("<main", 1)[1].split("</main>")[0]


def test_a_clinic_admin_is_sent_to_their_staff_page(client, olivia, clinic_a):
    client.force_login(olivia)
    text = client.get(reverse("profile:me")).content.decode()
    staff_page = reverse("clinics:staff_member", args=[clinic_a.uuid, olivia.uuid])
    assert f'href="{staff_page}"' in text
    assert "None: no current professional registration in CA-AB" in text


def test_the_top_bar_links_to_the_profile(client, bob):
    client.force_login(bob)
    text = client.get(reverse("today")).content.decode()
    assert f'href="{reverse("profile:me")}"' in text


def test_the_profile_is_for_staff(client, pat):
    client.force_login(pat)
    assert client.get(reverse("profile:me")).status_code == 403
    client.logout()
    assert client.get(reverse("profile:me")).status_code == 302
