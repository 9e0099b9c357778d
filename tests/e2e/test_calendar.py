"""The front desk's calendar in a real browser: book a course from the week grid, then move
the rest of the course past Christmas by picking an offered free time."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from imsclinic.scheduling import actions
from imsclinic.scheduling.models import (
    Appointment,
    AppointmentSeries,
    Status,
    create_default_services,
)
from tests.e2e.conftest import sign_in
from tests.factories import AppointmentFactory
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.scheduling import weekdays_open

pytestmark = pytest.mark.browser


@pytest.fixture
def december(clinic_a):
    """Monday 7 December 2026, 09:00 clinic time, clock ticking (in the future of any real run
    of this suite's first year, so session cookies are not born expired)."""
    start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=clinic_a.tz)
    with time_machine.travel(start, tick=True):
        yield start


def test_front_desk_books_from_the_week_grid_and_moves_a_course_past_christmas(
    page, december, clinic_a, alice, bob, patient_a
):
    weekdays_open(alice, clinic_a)
    create_default_services(clinic_a)
    actions.add_statutory_holidays(clinic=clinic_a, years=[2026], by=bob)
    AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=datetime.datetime(2026, 11, 30, 9, 0, tzinfo=clinic_a.tz),
    )
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet
    sign_in(page, "bob", TEST_PASSWORD)
    page.goto("/schedule/calendar/?date=2026-12-11&practitioner=" + str(alice.uuid))
    expect(page.get_by_role("heading", name="Calendar")).to_be_visible()
    # The page itself never scrolls sideways on a tablet; the grid scrolls inside its box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    slot = page.get_by_role("link", name="Book Alice Practitioner at 10:00 Friday 11 December")
    slot.focus()
    page.keyboard.press("Enter")

    page.get_by_label("Find the patient").fill("Nguyen")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Nguyen, Patricia").click()
    expect(page.get_by_role("heading", name="Book for Patricia Nguyen")).to_be_visible()
    page.get_by_label("Service").select_option(label="IMS treatment (30 min)")
    page.get_by_label("Number of visits").fill("2")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked IMS treatment × 2")).to_be_visible()
    series = AppointmentSeries.objects.get()
    first = series.appointments.order_by("starts_at").first()
    assert first.local_start() == datetime.datetime(2026, 12, 11, 10, 0, tzinfo=clinic_a.tz)
    assert first.service.name == "IMS treatment"

    page.goto("/schedule/calendar/?date=2026-12-11")
    page.get_by_role("link", name="Patricia Nguyen").first.click()
    page.get_by_role("link", name="Reschedule").click()
    page.get_by_label("New date").fill("2026-12-18")
    page.get_by_label("Move the rest of the course too").check()
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("heading", name="These dates are not free")).to_be_visible()
    expect(page.get_by_text("closed (Christmas Day)")).to_be_visible()
    page.get_by_role("button", name="for visit 2").first.click()

    expect(page.get_by_text("Moved 2 visits of Patricia Nguyen")).to_be_visible()
    expect(page.get_by_text("Moved from")).to_be_visible()
    booked = list(series.appointments.filter(status=Status.BOOKED).order_by("starts_at"))
    days = [a.local_start().date() for a in booked]
    assert days[0] == datetime.date(2026, 12, 18)
    assert datetime.date(2026, 12, 25) not in days and len(days) == 2
    assert all(a.rescheduled_from is not None for a in booked)
    assert Appointment.objects.filter(status=Status.CANCELLED).count() == 2
