"""The front desk's time grid: day and week, one practitioner or all side by side; free slots
are links named for the practitioner and time, appointments link to themselves."""

import datetime

import pytest
from django.urls import reverse

from imsclinic.scheduling import actions
from tests.factories import AppointmentFactory, MembershipFactory, UserFactory
from tests.factories.scheduling import weekdays_open
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def test_week_grid_shows_every_practitioner_with_bookable_named_slots(
    client, clinic_a, alice, bob, open_hours
):
    from imsclinic.accounts.models import Role

    dana = UserFactory(username="dana", first_name="Dana", last_name="Second")
    MembershipFactory(user=dana, clinic=clinic_a, role=Role.PRACTITIONER)
    weekdays_open(dana, clinic_a)
    booked = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 2, 10))
    day = booked.local_start().date()
    client.force_login(bob)
    body = client.get(reverse("scheduling:calendar"), {"date": day.isoformat()}).content.decode()
    weekday = booked.local_start().strftime("%A")
    label = f"Book {alice.display_name} at 11:00 {weekday} {day.day} {day:%B}"
    assert f'aria-label="{label}"' in body
    assert f"Book {dana.display_name} at 10:00 {weekday}" in body
    # alice is booked 10:00-11:00: the grid shows the appointment, linked, not booking slots
    assert f"Book {alice.display_name} at 10:00 {weekday}" not in body
    assert f"Book {alice.display_name} at 10:30 {weekday}" not in body
    assert reverse("scheduling:appointment", args=[booked.uuid]) in body
    assert booked.patient.full_name in body
    href = (
        f"{reverse('scheduling:book')}?practitioner={alice.uuid}&amp;date={day.isoformat()}"
        "&amp;time=11:00"
    )
    assert href in body


def test_day_grid_for_one_practitioner_and_a_closed_day(client, clinic_a, alice, bob, open_hours):
    day = at(clinic_a, 3, 9).date()
    actions.add_closure(clinic=clinic_a, date=day, name="Boxing Day", by=bob)
    client.force_login(bob)
    body = client.get(
        reverse("scheduling:calendar"),
        {"view": "day", "date": day.isoformat(), "practitioner": str(alice.uuid)},
    ).content.decode()
    assert "Closed: Boxing Day" in body
    assert f"Book {alice.display_name} at" not in body
    next_day = day + datetime.timedelta(days=1)
    body = client.get(
        reverse("scheduling:calendar"), {"view": "day", "date": next_day.isoformat()}
    ).content.decode()
    assert f"Book {alice.display_name} at 09:00" in body


def test_bad_calendar_date_is_a_clear_400(client, bob):
    client.force_login(bob)
    response = client.get(reverse("scheduling:calendar"), {"date": "tuesday"})
    assert response.status_code == 400
