"""Confirmation and reminder emails with .ics, the idempotent reminder command, and the feed."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from icalendar import Calendar

from imsclinic.scheduling import actions
from imsclinic.scheduling.models import Notification
from tests.factories import AppointmentFactory, PatientFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def ics_of(message) -> Calendar:
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".ics") and mimetype == "text/calendar"
    return Calendar.from_ical(content)


def test_booking_sends_a_confirmation_with_ics(
    clinic_a, alice, bob, patient_a, open_hours, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = actions.book_appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind="initial_assessment",
            starts_at=at(clinic_a, 3, 10),
            by=bob,
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient_a.email]
    event = ics_of(mail.outbox[0]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event["uid"]) == f"{appointment.uuid}@imsclinic"
    assert "Loose" in mail.outbox[0].body or "loose" in mail.outbox[0].body


def test_send_reminders_is_idempotent_and_respects_lead_time(clinic_a, alice, capsys):
    clinic_a.policies = {"reminder_lead_hours": [48]}
    clinic_a.save()
    now = datetime.datetime.now(datetime.UTC)
    due = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, starts_at=now + datetime.timedelta(hours=30)
    )
    AppointmentFactory(  # beyond the 48 h lead time: not yet
        clinic=clinic_a, practitioner=alice, starts_at=now + datetime.timedelta(hours=72)
    )
    no_email = AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=PatientFactory(clinic=clinic_a, email=""),
        starts_at=now + datetime.timedelta(hours=5),
    )
    call_command("send_reminders")
    assert [m.to for m in mail.outbox] == [[due.patient.email]]
    assert mail.outbox[0].subject.startswith("Reminder:")
    ics_of(mail.outbox[0])
    assert Notification.objects.get(appointment=no_email, channel="email").outcome == "no_email"
    call_command("send_reminders")
    assert len(mail.outbox) == 1
    assert "Reminders sent: 0" in capsys.readouterr().out


def test_cancelled_appointments_get_no_reminder(clinic_a, alice, bob):
    now = datetime.datetime.now(datetime.UTC)
    appointment = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, starts_at=now + datetime.timedelta(hours=3)
    )
    actions.cancel_appointment(appointment=appointment, by=bob)
    call_command("send_reminders")
    assert mail.outbox == []


def test_feed_at_secret_url_parses_and_rotation_kills_old_url(client, clinic_a, alice):
    appointment = AppointmentFactory(clinic=clinic_a, practitioner=alice)
    token = actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    response = client.get(reverse("scheduling:feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{appointment.uuid}@imsclinic"]
    # Initials and chart number only, never the full name.
    assert appointment.patient.family_name not in response.content.decode()
    new_token = actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    assert client.get(reverse("scheduling:feed", args=[token])).status_code == 404
    assert client.get(reverse("scheduling:feed", args=[new_token])).status_code == 200
    assert client.get(reverse("scheduling:feed", args=["guess"])).status_code == 404
