"""A calendar feed stops when its practitioner is offboarded (issue 13, finding 10)."""

import pytest
from django.urls import reverse

from imsclinic.accounts.models import Membership
from imsclinic.scheduling import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_url(clinic_a, alice):
    token = actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    return reverse("scheduling:feed", args=[token])


def test_feed_stops_when_the_practitioner_leaves_the_clinic(client, alice, clinic_a, feed_url):
    assert client.get(feed_url).status_code == 200
    Membership.objects.filter(user=alice, clinic=clinic_a).update(is_active=False)
    assert client.get(feed_url).status_code == 404


def test_feed_stops_when_the_account_is_deactivated(client, alice, feed_url):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(feed_url).status_code == 404
