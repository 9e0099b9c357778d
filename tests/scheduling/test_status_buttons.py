"""Status buttons show only the valid next steps; a step back hides behind a confirmed "Undo"."""

import re

import pytest
from django.urls import reverse

from imsclinic.scheduling.models import Status
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


def _status_form(html: str) -> str:
    return re.search(r'<form[^>]*class="status-buttons".*?</form>', html, re.S).group(0)


def _direct_buttons(form: str) -> list[str]:
    """Values of the buttons outside the "Undo" disclosure: one tap changes the status."""
    outside = re.sub(r"<details.*?</details>", "", form, flags=re.S)
    return re.findall(r'name="status" value="([a-z_]+)"', outside)


@pytest.mark.parametrize(
    ("status", "forward", "undo_to"),
    [
        (Status.BOOKED, ["arrived", "in_session", "no_show"], None),
        (Status.ARRIVED, ["in_session", "no_show"], "booked"),
        (Status.IN_SESSION, ["completed"], "arrived"),
        (Status.COMPLETED, [], "in_session"),
        (Status.NO_SHOW, [], "booked"),
    ],
)
def test_only_forward_steps_are_one_tap(client, bob, alice, clinic_a, status, forward, undo_to):
    appointment = AppointmentFactory(clinic=clinic_a, practitioner=alice, status=status)
    client.force_login(bob)
    html = client.get(reverse("scheduling:appointment", args=[appointment.uuid])).content.decode()
    form = _status_form(html)
    assert _direct_buttons(form) == forward
    undo = re.search(r"<details.*?</details>", form, re.S)
    if undo_to is None:
        assert undo is None
    else:
        assert "<summary" in undo.group(0) and ">Undo</summary>" in undo.group(0)
        assert f'value="{undo_to}"' in undo.group(0)


def test_aria_labels_read_like_the_visible_text(client, bob, alice, clinic_a):
    appointment = AppointmentFactory(clinic=clinic_a, practitioner=alice, status=Status.BOOKED)
    client.force_login(bob)
    html = client.get(reverse("scheduling:appointment", args=[appointment.uuid])).content.decode()
    buttons = re.findall(r'aria-label="[^"]*: mark ([^"]+)">([^<]+)</button>', _status_form(html))
    assert buttons == [("Arrived", "Arrived"), ("In session", "In session"), ("No-show", "No-show")]
