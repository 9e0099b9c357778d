"""The public front door: `/`, a clinic's public page, and its edit page for the clinic admin."""

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling.instructions import DEFAULTS
from imsclinic.screening.front_door import DEFAULT_ABOUT_IMS
from imsclinic.screening.models import ClinicPage
from tests.conftest import login
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def test_a_single_clinic_network_opens_on_its_public_page(client, clinic_a):
    response = client.get("/")
    assert response["Location"] == reverse("front:clinic", args=[clinic_a.slug])


def test_a_network_of_clinics_lists_each_clinic(client, clinic_a, clinic_b):
    body = client.get("/").content.decode()
    for clinic in (clinic_a, clinic_b):
        assert clinic.name in body and reverse("front:clinic", args=[clinic.slug]) in body
    assert reverse("login") in body  # staff sign-in is a link, not the page


def test_clinic_page_offers_the_three_ways_in_and_the_texts(client, clinic_a):
    body = client.get(reverse("front:clinic", args=[clinic_a.slug])).content.decode()
    assert reverse("screening:form", args=[clinic_a.slug]) in body
    assert reverse("screening:book", args=[clinic_a.slug]) in body
    assert reverse("screening:contact", args=[clinic_a.slug]) in body
    for label in ("Am I a candidate?", "Book an assessment", "Ask us to call you"):
        assert label in body
    assert DEFAULT_ABOUT_IMS.splitlines()[0] in body
    first_aftercare = DEFAULTS["aftercare"].splitlines()[0]
    assert first_aftercare in body.replace("&#x27;", "'")
    assert "Edit this page" not in body


def test_unknown_clinic_page_is_not_found(client, clinic_a):
    assert client.get(reverse("front:clinic", args=["nowhere"])).status_code == 404


@pytest.mark.parametrize("who", ["alice", "bob", "olivia"])
def test_signed_in_staff_land_on_today_from_the_root(client, cast, who):
    login(client, cast[who])
    assert client.get("/")["Location"] == reverse("today")


def test_portal_patient_lands_on_the_portal(client, pat):
    login(client, pat)
    assert client.get("/")["Location"] == reverse("portal:home")


def test_clinic_admin_edits_the_public_page(client, olivia, clinic_a):
    login(client, olivia)
    url = reverse("front:edit", args=[clinic_a.slug])
    assert DEFAULT_ABOUT_IMS.splitlines()[0] in client.get(url).content.decode()
    response = client.post(
        url, {"about_ims": "IMS, our way.\nSecond line.", "what_to_expect": "A first visit."}
    )
    assert response["Location"] == reverse("front:clinic", args=[clinic_a.slug])
    body = client.get(response["Location"]).content.decode()
    assert "<p>IMS, our way.</p>" in body and "<p>Second line.</p>" in body
    assert "A first visit." in body and "Edit this page" in body
    event = AuditEvent.objects.get(action="clinic_page.save")
    assert event.actor_id == olivia.pk
    assert set(event.details["fields"]) == {"about_ims", "what_to_expect"}


def test_blank_text_is_refused_and_nothing_saved(client, olivia, clinic_a):
    login(client, olivia)
    response = client.post(
        reverse("front:edit", args=[clinic_a.slug]), {"about_ims": "   ", "what_to_expect": "x"}
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ClinicPage.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_only_that_clinics_admin_may_edit(client, cast, clinic_a, who):
    login(client, cast[who])
    url = reverse("front:edit", args=[clinic_a.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"about_ims": "x", "what_to_expect": "y"}).status_code == 403
    assert not ClinicPage.objects.exists()


def test_admin_of_another_clinic_cannot_edit_this_one(client, olivia, clinic_a):
    other = ClinicFactory(slug="elsewhere")
    login(client, olivia)
    assert client.get(reverse("front:edit", args=[other.slug])).status_code == 403


def test_the_action_itself_refuses_a_non_admin(alice, clinic_a):
    from django.core.exceptions import PermissionDenied

    from imsclinic.screening.actions import save_clinic_page

    with pytest.raises(PermissionDenied):
        save_clinic_page(clinic=clinic_a, by=alice, about_ims="x", what_to_expect="y")
    assert not ClinicPage.objects.exists()
