"""An appointment's outbox shows scheduled, sent and failed reminders, by email and by text
message; a failing backend (configured by settings, raising for real) leaves a visible failure
that the next run retries."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from imsclinic.scheduling.models import Notification
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


class BrokenSmsBackend:
    def send(self, *, to, body):
        raise ConnectionError("provider unreachable")


class RecordingSmsBackend:
    sent: list = []

    def send(self, *, to, body):
        RecordingSmsBackend.sent.append((to, body))


def _appointment(clinic_a, alice, hours):
    from imsclinic.scheduling.models import create_default_services

    service = create_default_services(clinic_a)[1]  # "IMS treatment"
    patient = PatientFactory(clinic=clinic_a, email="pat@example.org", phone="403 555 0101")
    return AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=patient,
        service=service,
        kind=service.kind,
        starts_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours),
    )


def _outbox_page(client, appointment):
    return client.get(reverse("scheduling:appointment", args=[appointment.uuid])).content.decode()


def test_outbox_shows_scheduled_then_sent_by_email_and_sms(client, clinic_a, alice, bob, capsys):
    appointment = _appointment(clinic_a, alice, hours=5)
    client.force_login(bob)
    page = _outbox_page(client, appointment)
    assert page.count("<td>Scheduled</td>") == 2
    assert "<td>Email</td>" in page and "<td>Text message</td>" in page
    call_command("send_reminders")
    printed = capsys.readouterr().out
    assert "SMS to 403 555 0101" in printed and clinic_a.name in printed
    assert "IMS treatment" in printed and "your ims treatment" not in printed.lower()
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    page = _outbox_page(client, appointment)
    assert page.count("<td>Sent</td>") == 2 and "<td>Scheduled</td>" not in page


@override_settings(IMSCLINIC_SMS_BACKEND="tests.scheduling.test_outbox.BrokenSmsBackend")
def test_failed_sms_is_visible_and_retried_by_the_next_run(client, clinic_a, alice, bob):
    appointment = _appointment(clinic_a, alice, hours=5)
    call_command("send_reminders")
    sms = Notification.objects.get(appointment=appointment, channel="sms")
    email = Notification.objects.get(appointment=appointment, channel="email")
    assert (sms.outcome, email.outcome) == ("failed", "sent")
    client.force_login(bob)
    assert "Failed (will retry)" in _outbox_page(client, appointment)
    with override_settings(
        IMSCLINIC_SMS_BACKEND="tests.scheduling.test_outbox.RecordingSmsBackend"
    ):
        call_command("send_reminders")
    sms.refresh_from_db()
    assert sms.outcome == "sent" and len(RecordingSmsBackend.sent) == 1
    assert len(mail.outbox) == 1  # the email is not sent twice


@override_settings(EMAIL_BACKEND="tests.scheduling.test_outbox.BrokenEmailBackend")
def test_failed_email_is_visible(client, clinic_a, alice, bob):
    appointment = _appointment(clinic_a, alice, hours=5)
    call_command("send_reminders")
    email = Notification.objects.get(appointment=appointment, channel="email")
    assert email.outcome == "failed" and email.sent_at is None
    client.force_login(bob)
    page = _outbox_page(client, appointment)
    assert "Failed (will retry)" in page


from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server down")


def test_one_reminder_per_lead_time_and_channel(client, clinic_a, alice, bob, time_machine):
    """Lead times 48 h and 2 h: the outbox schedules four messages; each run sends those whose
    time has come, once; a visit booked inside the 48 h window gets only the 2 h reminder."""
    clinic_a.policies = {"reminder_lead_hours": [48, 2]}
    clinic_a.save()
    start = datetime.datetime(2027, 3, 10, 17, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start - datetime.timedelta(hours=72), tick=False)
    appointment = _appointment(clinic_a, alice, hours=72)
    client.force_login(bob)
    page = _outbox_page(client, appointment)
    assert page.count("<td>Scheduled</td>") == 4
    assert "Reminder (2 days before)" in page and "Reminder (2 hours before)" in page

    time_machine.move_to(start - datetime.timedelta(hours=47), tick=False)
    call_command("send_reminders")
    call_command("send_reminders")  # idempotent
    sent = Notification.objects.filter(appointment=appointment, kind="reminder")
    assert sorted(sent.values_list("channel", "lead_hours", "outcome")) == [
        ("email", 48, "sent"),
        ("sms", 48, "sent"),
    ]
    client.force_login(bob)  # the clock jumped past the idle logout
    page = _outbox_page(client, appointment)
    assert page.count("<td>Scheduled</td>") == 2 and page.count("<td>Sent</td>") == 2

    time_machine.move_to(start - datetime.timedelta(hours=1), tick=False)
    call_command("send_reminders")
    assert sorted(sent.values_list("channel", "lead_hours")) == [
        ("email", 2),
        ("email", 48),
        ("sms", 2),
        ("sms", 48),
    ]
    assert len(mail.outbox) == 2
    client.force_login(bob)
    api = client.get(f"/api/v1/scheduling/appointments/{appointment.uuid}/notifications").json()
    assert sorted((n["channel"], n["lead_hours"], n["state"]) for n in api) == [
        ("email", 2, "sent"),
        ("email", 48, "sent"),
        ("sms", 2, "sent"),
        ("sms", 48, "sent"),
    ]


def test_a_visit_booked_late_gets_the_current_reminder_not_every_earlier_one(
    client, clinic_a, alice, bob, time_machine
):
    """Booked 90 minutes ahead with lead times 48 h and 2 h: one reminder per channel (the 2 h
    one), never the 48 h one as well."""
    clinic_a.policies = {"reminder_lead_hours": [48, 2]}
    clinic_a.save()
    start = datetime.datetime(2027, 3, 10, 17, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start - datetime.timedelta(minutes=90), tick=False)
    appointment = _appointment(clinic_a, alice, hours=1.5)
    client.force_login(bob)
    page = _outbox_page(client, appointment)
    assert page.count("<td>Scheduled</td>") == 2 and "2 days before" not in page
    call_command("send_reminders")
    assert sorted(
        Notification.objects.filter(appointment=appointment, kind="reminder").values_list(
            "channel", "lead_hours"
        )
    ) == [("email", 2), ("sms", 2)]
