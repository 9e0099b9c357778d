"""The signed link in an online booker's confirmation email: reschedule or cancel in the window."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling.models import Appointment
from imsclinic.screening.manage import LINK_MAX_AGE
from tests.factories.scheduling import weekdays_open
from tests.screening.test_booking_front_door import book

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://\S+/screening/clinic-a/manage/\S+/")


def booked_link(client, clinic, alice, captured):
    weekdays_open(alice, clinic)
    with captured(execute=True):
        assert book(client, clinic).status_code == 302
    message = mail.outbox[-1]
    assert message.attachments[0][0] == "appointment.ics"
    return LINK.search(message.body).group(0).removeprefix("http://127.0.0.1:8000")


def test_confirmation_link_reschedules_with_a_new_email(
    client, clinic_a, alice, django_capture_on_commit_callbacks
):
    link = booked_link(client, clinic_a, alice, django_capture_on_commit_callbacks)
    old = Appointment.objects.get()
    page = client.get(link)
    assert page.status_code == 200 and "Move my visit" in page.content.decode()
    value = page.context["days"][2][1][0][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"do": "move", "slot": value})
    assert response.status_code == 302, response.context["error"]
    old.refresh_from_db()
    new = Appointment.objects.exclude(pk=old.pk).get()
    assert old.status == "cancelled" and new.status == "booked"
    assert new.patient == old.patient and new.kind == old.kind
    practitioner_uuid, starts = value.split("|")
    assert str(new.practitioner.uuid) == practitioner_uuid
    assert new.starts_at == datetime.datetime.fromisoformat(starts)
    assert len(mail.outbox) == 2 and LINK.search(mail.outbox[1].body).group(0) != link
    assert AuditEvent.objects.filter(action="appointment.reschedule_online").count() == 1
    # The old link now shows a cancelled visit that cannot be changed.
    again = client.post(link, {"do": "cancel"})
    assert again.status_code == 400 and "cannot be changed" in again.content.decode()


def test_confirmation_link_cancels(client, clinic_a, alice, django_capture_on_commit_callbacks):
    link = booked_link(client, clinic_a, alice, django_capture_on_commit_callbacks)
    assert client.post(link, {"do": "cancel"}).status_code == 302
    assert Appointment.objects.get().status == "cancelled"


def test_inside_the_cancellation_window_the_link_only_says_call(
    client, clinic_a, alice, django_capture_on_commit_callbacks
):
    link = booked_link(client, clinic_a, alice, django_capture_on_commit_callbacks)
    appointment = Appointment.objects.get()
    with time_machine.travel(appointment.starts_at - datetime.timedelta(hours=2)):
        page = client.get(link).content.decode()
        assert "Move my visit" not in page and "up to 24 hours before" in page
        response = client.post(link, {"do": "cancel"})
    assert response.status_code == 400
    assert Appointment.objects.get().status == "booked"


def test_tampered_or_expired_links_are_refused(
    client, clinic_a, alice, django_capture_on_commit_callbacks
):
    link = booked_link(client, clinic_a, alice, django_capture_on_commit_callbacks)
    assert client.get(link.replace("/manage/", "/manage/x")).status_code == 404
    with time_machine.travel(timezone.now() + LINK_MAX_AGE + datetime.timedelta(minutes=1)):
        assert client.get(link).status_code == 404
    assert Appointment.objects.get().status == "booked"
