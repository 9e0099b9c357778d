"""Clinic closures and statutory holidays: nobody is booked on them, and a course across one is
offered free alternatives that book with one click."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling import actions
from imsclinic.scheduling.availability import free_slots, local_datetime
from imsclinic.scheduling.closures import statutory_holidays
from imsclinic.scheduling.errors import BookingError, SeriesConflict
from imsclinic.scheduling.models import Appointment, Closure, Kind, Status
from tests.factories import AppointmentFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def test_statutory_holidays_of_the_clinics_province_are_added_once(clinic_a, clinic_b, olivia):
    added = actions.add_statutory_holidays(clinic=clinic_a, years=[2027], by=olivia)
    names = {c.date: c.name for c in added}
    assert names[datetime.date(2027, 12, 25)] == "Christmas Day"
    assert names[datetime.date(2027, 2, 15)] == "Family Day"  # Alberta's, third Monday
    assert all(c.source == Closure.Source.HOLIDAY for c in added)
    assert actions.add_statutory_holidays(clinic=clinic_a, years=[2027], by=olivia) == []
    assert AuditEvent.objects.filter(action="closure.holidays").count() == 2
    # British Columbia keeps its own list (Truth and Reconciliation Day, 30 September).
    bc = {day for day, _ in statutory_holidays(clinic_b, [2027])}
    assert datetime.date(2027, 9, 30) in bc
    assert datetime.date(2027, 9, 30) not in names
    # olivia is not an admin of clinic_b: the action refuses, whatever page or API calls it.
    with pytest.raises(PermissionDenied):
        actions.add_statutory_holidays(clinic=clinic_b, years=[2027], by=olivia)


def test_nobody_can_be_booked_on_a_closed_day(clinic_a, alice, bob, patient_a, open_hours):
    day = at(clinic_a, 4, 10).date()
    actions.add_closure(clinic=clinic_a, date=day, name="Staff training", by=bob)
    assert free_slots(alice, clinic_a, day, 30) == []
    with pytest.raises(BookingError, match=r"closed \(Staff training\)"):
        actions.book_appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.INITIAL_ASSESSMENT,
            starts_at=at(clinic_a, 4, 10),
            by=bob,
        )
    with pytest.raises(BookingError, match="already closed"):
        actions.add_closure(clinic=clinic_a, date=day, name="Again", by=bob)


@time_machine.travel(datetime.datetime(2026, 12, 7, 15, 0, tzinfo=datetime.UTC), tick=False)
def test_weekly_course_across_christmas_offers_the_next_free_time(
    clinic_a, alice, bob, patient_a, open_hours
):
    actions.add_statutory_holidays(clinic=clinic_a, years=[2026, 2027], by=bob)
    AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=at(clinic_a, -7, 9),
    )
    first = local_datetime(datetime.date(2026, 12, 11), datetime.time(10), clinic_a.tz)  # Friday
    with pytest.raises(SeriesConflict) as caught:
        actions.book_series(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.IMS_TREATMENT,
            first_starts_at=first,
            count=4,
            interval_days=7,
            by=bob,
        )
    christmas, new_year = caught.value.items
    assert christmas.index == 2 and "Christmas Day" in christmas.reason
    assert new_year.index == 3 and "New Year's Day" in new_year.reason
    closed = {datetime.date(2026, 12, 25), datetime.date(2026, 12, 26), datetime.date(2027, 1, 1)}
    for item in (christmas, new_year):
        assert item.alternatives
        assert not {alt.astimezone(clinic_a.tz).date() for alt in item.alternatives} & closed
    series = actions.book_series(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        first_starts_at=first,
        count=4,
        interval_days=7,
        replacements={2: christmas.alternatives[0], 3: new_year.alternatives[0]},
        by=bob,
    )
    days = [a.local_start().date() for a in series.appointments.order_by("starts_at")]
    assert len(days) == 4 and not set(days) & closed


def test_closures_page_adds_and_removes_a_closure(client, bob, clinic_a, alice):
    client.force_login(bob)
    day = clinic_a.today() + datetime.timedelta(days=20)
    response = client.post(reverse("scheduling:closure-add"), {"date": day, "name": "Flood"})
    assert response.status_code == 302
    page = client.get(reverse("scheduling:closures")).content.decode()
    assert "Flood" in page and "Clinic closure" in page
    refused = client.post(reverse("scheduling:closure-add"), {"date": day, "name": ""})
    assert refused.status_code == 200 and Closure.objects.count() == 1
    closure = Closure.objects.get()
    client.post(reverse("scheduling:closure-remove", args=[closure.uuid]))
    assert not Closure.objects.exists()


def test_practitioner_cannot_change_closures(client, alice, clinic_a):
    client.force_login(alice)
    response = client.post(
        reverse("scheduling:closure-add"), {"date": clinic_a.today(), "name": "Mine"}
    )
    assert response.status_code == 403 and not Closure.objects.exists()


def test_closures_page_lists_visits_already_booked_on_a_closed_day(client, bob, clinic_a, alice):
    booked = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 5, 10))
    actions.add_closure(clinic=clinic_a, date=booked.local_start().date(), name="Storm", by=bob)
    client.force_login(bob)
    page = client.get(reverse("scheduling:closures")).content.decode()
    assert "Booked on a closed day" in page and booked.patient.full_name in page
    assert Appointment.objects.get().status == Status.BOOKED
