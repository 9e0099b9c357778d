"""The waitlist in a real browser: the front desk fills a cancellation from the waitlist in one
click, and an offer sent to two waiters is taken by the first to confirm (the second is told,
politely, that the time was taken). Screenshots of the waitlist page at three widths."""

import datetime

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from imsclinic.scheduling.models import Appointment, Kind, Service, Status, create_default_services
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.models import EntryStatus, WaitlistEntry
from tests.e2e.conftest import save_screenshot, sign_in
from tests.factories import AppointmentFactory, PatientFactory
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.scheduling import weekdays_open

pytestmark = pytest.mark.browser


@pytest.fixture
def december(clinic_a):
    """Monday 7 December 2026, 09:00 clinic time, clock ticking."""
    start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=clinic_a.tz)
    with time_machine.travel(start, tick=True):
        yield start


@pytest.fixture
def waiting(clinic_a, alice, bob, patient_a, december):
    weekdays_open(alice, clinic_a)
    create_default_services(clinic_a)
    assessment = Service.objects.get(clinic=clinic_a, name="Initial IMS assessment")
    entry = actions.add_entry(
        clinic=clinic_a,
        patient=patient_a,
        service=assessment,
        earliest_date=december.date(),
        notes="Can come at short notice",
        by=bob,
    )
    return assessment, entry


def test_front_desk_fills_a_cancellation_from_the_waitlist(
    page, clinic_a, alice, bob, patient_a, waiting
):
    cancelled = PatientFactory(clinic=clinic_a, given_name="Carl", family_name="Cancels")
    AppointmentFactory(
        clinic=clinic_a,
        patient=cancelled,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=datetime.datetime(2026, 12, 9, 10, 0, tzinfo=clinic_a.tz),
    )
    page.set_viewport_size({"width": 768, "height": 1024})  # the desk's tablet
    page.on("dialog", lambda dialog: dialog.accept())  # "Cancel this appointment?"
    sign_in(page, "bob", TEST_PASSWORD)
    page.goto("/schedule/calendar/?date=2026-12-09&view=day")
    page.get_by_role("link", name="Carl Cancels").click()
    page.get_by_label("Reason (optional)").fill("Called in sick")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("Appointment cancelled.")).to_be_visible()

    # The freed time's waiters load into the page; one click books.
    expect(page.get_by_role("heading", name="Fill this time from the waitlist")).to_be_visible()
    book = page.get_by_role("button", name="Book Patricia Nguyen")
    expect(book).to_be_visible()
    expect(page.get_by_text("Can come at short notice")).to_be_visible()
    save_screenshot(page, "waitlist-cancelled-768")
    book.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Booked Patricia Nguyen from the waitlist")).to_be_visible()

    page.goto("/schedule/calendar/?date=2026-12-09&view=day")
    expect(page.get_by_role("link", name="Patricia Nguyen")).to_be_visible()
    expect(page.get_by_role("link", name="Carl Cancels")).to_have_count(0)
    booked = Appointment.objects.get(patient=patient_a)
    assert booked.local_start() == datetime.datetime(2026, 12, 9, 10, 0, tzinfo=clinic_a.tz)
    assert booked.status == Status.BOOKED and booked.service.name == "Initial IMS assessment"
    assert WaitlistEntry.objects.get().status == EntryStatus.BOOKED


def test_an_offer_is_taken_by_the_first_to_confirm(
    page, browser, live_server, clinic_a, alice, bob, patient_a, waiting
):
    assessment, _ = waiting
    actions.add_entry(
        clinic=clinic_a,
        patient=PatientFactory(clinic=clinic_a, given_name="Sam", family_name="Second"),
        service=assessment,
        earliest_date=clinic_a.today(),
        by=bob,
    )
    sign_in(page, "bob", TEST_PASSWORD)
    # A free time in the calendar: the booking page offers the waitlist for it.
    page.goto(f"/schedule/calendar/?date=2026-12-10&practitioner={alice.uuid}")
    page.get_by_role("link", name="Book Alice Practitioner at 14:00 Thursday 10 December").click()
    page.get_by_role("link", name="Who on the waitlist can take this time?").click()
    expect(page.get_by_role("heading", name="Who can take this time?")).to_be_visible()
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        save_screenshot(page, f"waitlist-matches-{width}")
    page.get_by_label("Patricia Nguyen").check()
    page.get_by_label("Sam Second").check()
    page.get_by_label("By text message").uncheck()
    page.get_by_role("button", name="Send the offer").click()
    expect(page.get_by_text("Offer sent to 2 people.")).to_be_visible()
    expect(page.get_by_text("waiting for an answer until")).to_be_visible()
    assert len(mail.outbox) == 2
    links = {
        message.to[0]: next(line for line in message.body.splitlines() if "/offer/" in line)
        for message in mail.outbox
    }
    path = {email: link.split("8000", 1)[-1] for email, link in links.items()}

    sam = browser.new_context(base_url=live_server.url).new_page()
    sam.goto(next(p for email, p in path.items() if email != patient_a.email))
    expect(
        sam.get_by_role("heading", name="An earlier time at Bow Valley Test Clinic")
    ).to_be_visible()
    sam.get_by_role("button", name="Confirm this time").click()
    expect(sam.get_by_role("heading", name="You are booked")).to_be_visible()

    patricia = browser.new_context(base_url=live_server.url).new_page()
    patricia.goto(path[patient_a.email])
    expect(patricia.get_by_role("heading", name="Sorry, this time was taken")).to_be_visible()
    expect(patricia.get_by_role("button", name="Confirm this time")).to_have_count(0)
    save_screenshot(patricia, "waitlist-offer-taken")
    booked = Appointment.objects.active().filter(
        starts_at=datetime.datetime(2026, 12, 10, 14, 0, tzinfo=clinic_a.tz)
    )
    assert [a.patient.family_name for a in booked] == ["Second"]

    page.reload()
    expect(page.get_by_text("taken by Sam Second")).to_be_visible()


def test_waitlist_page_at_three_widths(page, clinic_a, alice, bob, waiting):
    assessment, _ = waiting
    actions.add_entry(
        clinic=clinic_a,
        patient=PatientFactory(clinic=clinic_a, given_name="Sam", family_name="Second"),
        service=assessment,
        practitioner=alice,
        days=0b11,
        day_parts=1,
        earliest_date=clinic_a.today(),
        latest_date=clinic_a.today() + datetime.timedelta(days=30),
        by=bob,
    )
    sign_in(page, "bob", TEST_PASSWORD)
    for width in (390, 768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/schedule/waitlist/")
        expect(page.get_by_role("heading", name="Waitlist", exact=True)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        save_screenshot(page, f"waitlist-{width}")
    page.goto(f"/schedule/waitlist/{WaitlistEntry.objects.first().uuid}/")
    save_screenshot(page, "waitlist-entry-1366")
