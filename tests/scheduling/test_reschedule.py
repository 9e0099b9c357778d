"""Reschedule: one visit or the rest of a course, in one action, linked, audited, with the
patient sent an updated .ics that replaces the old event."""

import itertools
import re

import pytest
from django.urls import reverse
from icalendar import Calendar

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling import actions
from imsclinic.scheduling.errors import BookingError, SeriesConflict
from imsclinic.scheduling.models import Appointment, Kind, Status
from imsclinic.scheduling.notifications import patient_ics
from tests.factories import AppointmentFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(clinic_a, alice, patient_a):
    patient_a.email = "patricia@example.org"
    patient_a.save()
    return AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=at(clinic_a, -5, 9),
    )


def _course(clinic_a, alice, bob, patient_a, count=4):
    return actions.book_series(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        first_starts_at=at(clinic_a, 1, 10),
        count=count,
        interval_days=7,
        by=bob,
        notify=False,
    )


def _ics_event(message):
    (name, content, mimetype) = message.attachments[0]
    cal = Calendar.from_ical(content)
    return cal, next(iter(cal.walk("VEVENT")))


def test_move_one_visit_links_audits_and_sends_an_updated_ics(
    clinic_a,
    alice,
    bob,
    patient_a,
    assessed,
    open_hours,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    old = actions.book_appointment(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        starts_at=at(clinic_a, 2, 10),
        by=bob,
        notify=False,
    )
    first_uid = patient_ics(old)
    with django_capture_on_commit_callbacks(execute=True):
        (new,) = actions.reschedule(appointment=old, starts_at=at(clinic_a, 3, 14), by=bob)
    old.refresh_from_db()
    assert old.status == Status.CANCELLED and old.cancel_reason.startswith("Rescheduled")
    assert new.rescheduled_from == old and new.local_start().hour == 14
    event = AuditEvent.objects.get(action="appointment.reschedule")
    assert event.details["from"] == [str(old.uuid)] and event.details["to"] == [str(new.uuid)]
    (message,) = mailoutbox
    assert "IMS treatment" in message.subject and clinic_a.name in message.body
    assert "your ims treatment" not in message.body.lower()
    cal, vevent = _ics_event(message)
    assert cal["METHOD"] == "REQUEST"
    original = next(iter(Calendar.from_ical(first_uid).walk("VEVENT")))
    assert str(vevent["UID"]) == str(original["UID"])
    assert int(vevent["SEQUENCE"]) > int(original["SEQUENCE"])
    assert vevent.decoded("DTSTART") == new.starts_at


def test_move_the_rest_of_a_course_keeps_its_spacing(
    clinic_a, alice, bob, patient_a, assessed, open_hours
):
    series = _course(clinic_a, alice, bob, patient_a)
    visits = list(series.appointments.order_by("starts_at"))
    moved = actions.reschedule(
        appointment=visits[1],
        starts_at=at(clinic_a, 9, 15),
        whole_course=True,
        by=bob,
        notify=False,
    )
    assert len(moved) == 3
    assert [m.rescheduled_from_id for m in moved] == [v.pk for v in visits[1:]]
    gaps = {
        (b.local_start().date() - a.local_start().date()).days for a, b in itertools.pairwise(moved)
    }
    assert gaps == {7} and {m.local_start().hour for m in moved} == {15}
    assert Appointment.objects.get(pk=visits[0].pk).status == Status.BOOKED
    assert series.appointments.filter(status=Status.BOOKED).count() == 4
    assert AuditEvent.objects.filter(action="appointment.reschedule").count() == 1


def test_a_course_move_onto_a_taken_time_changes_nothing_and_offers_alternatives(
    clinic_a, alice, bob, patient_a, assessed, open_hours
):
    series = _course(clinic_a, alice, bob, patient_a)
    visits = list(series.appointments.order_by("starts_at"))
    taken = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 15, 11))
    with pytest.raises(SeriesConflict) as caught:
        actions.reschedule(
            appointment=visits[0],
            starts_at=at(clinic_a, 1, 11),
            whole_course=True,
            by=bob,
            notify=False,
        )
    (item,) = caught.value.items
    assert item.index == 2 and item.alternatives and taken.starts_at not in item.alternatives
    assert series.appointments.filter(status=Status.BOOKED).count() == 4
    assert not Appointment.objects.filter(rescheduled_from__isnull=False).exists()


def test_only_booked_visits_move(clinic_a, alice, bob, assessed):
    with pytest.raises(BookingError, match="completed cannot be moved"):
        actions.reschedule(appointment=assessed, starts_at=at(clinic_a, 3, 10), by=bob)


def test_reschedule_page_moves_a_course_and_alternatives_are_buttons(
    client, clinic_a, alice, bob, patient_a, assessed, open_hours
):
    series = _course(clinic_a, alice, bob, patient_a, count=3)
    first = series.appointments.order_by("starts_at").first()
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 9, 16))
    client.force_login(bob)
    url = reverse("scheduling:appointment-reschedule", args=[first.uuid])
    assert "Move the rest of the course too" in client.get(url).content.decode()
    form = {
        "practitioner": str(alice.uuid),
        "date": at(clinic_a, 2, 16).date().isoformat(),
        "time": "16:00",
        "whole_course": "on",
    }
    body = client.post(url, form).content.decode()
    assert "Nothing was moved" in body
    alternative = re.search(r'name="replace_1" value="([0-9T:-]+)"', body).group(1)
    response = client.post(url, {**form, "replace_1": alternative})
    assert response.status_code == 302
    moved = Appointment.objects.filter(series=series, status=Status.BOOKED).order_by("starts_at")
    assert moved.count() == 3
    assert moved[1].local_start().strftime("%Y-%m-%dT%H:%M") == alternative
    detail = client.get(response["Location"]).content.decode()
    assert "Moved from" in detail


def test_same_day_second_needling_visit_needs_a_reason(
    clinic_a, alice, bob, patient_a, assessed, open_hours
):
    def book(hour, reason=""):
        return actions.book_appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.IMS_TREATMENT,
            starts_at=at(clinic_a, 2, hour),
            same_day_override_reason=reason,
            by=bob,
            notify=False,
        )

    book(9)
    with pytest.raises(BookingError, match="needs an override with a reason") as caught:
        book(14)
    assert caught.value.code == "same_day_needling"
    second = book(14, reason="Second region, agreed with Dr Smith")
    assert second.same_day_override_reason == "Second region, agreed with Dr Smith"
    event = AuditEvent.objects.filter(action="appointment.book").latest("pk")
    assert event.details["same_day_override"] == "Second region, agreed with Dr Smith"


def test_a_service_sets_length_and_keeps_its_buffer_free(
    clinic_a, alice, bob, patient_a, assessed, open_hours
):
    from imsclinic.scheduling.models import Service

    service = Service.objects.create(
        clinic=clinic_a,
        name="Long IMS treatment",
        kind=Kind.IMS_TREATMENT,
        duration_minutes=45,
        buffer_minutes=15,
    )
    booked = actions.book_appointment(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        service=service,
        starts_at=at(clinic_a, 2, 10),
        by=bob,
        notify=False,
    )
    assert booked.kind == Kind.IMS_TREATMENT and booked.duration_minutes == 45
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 3, 11))

    def book_day_3(hour, minute):
        return actions.book_appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.IMS_TREATMENT,
            service=service,
            starts_at=at(clinic_a, 3, hour, minute),
            by=bob,
            notify=False,
        )

    with pytest.raises(BookingError, match="already booked"):
        book_day_3(10, 15)  # ends 11:00 but its 15-minute buffer runs into the 11:00 visit
    assert book_day_3(10, 0).local_end().strftime("%H:%M") == "10:45"
