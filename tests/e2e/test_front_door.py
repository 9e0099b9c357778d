"""The front door in a real browser: a visitor screens themself and books an assessment; a
front-desk member turns a request from the queue into a patient."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from imsclinic.knowledge import screening_questions
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment
from imsclinic.screening.models import EvaluationRequest
from tests.e2e.conftest import sign_in
from tests.factories import EvaluationRequestFactory
from tests.factories.scheduling import weekdays_open

pytestmark = pytest.mark.browser


def answer_every_question_no(page):
    for q in screening_questions():
        if q["type"] != "boolean":
            continue
        # able_to_consent is phrased so that "yes" is the safe answer.
        value = "yes" if q["default"] else "no"
        page.locator(f"input[name='{q['field']}'][value='{value}']").check()


def test_visitor_goes_from_the_front_door_to_a_booked_assessment_and_moves_it(
    page, screenshot, clinic_a, alice
):
    weekdays_open(alice, clinic_a)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto("/")  # the only clinic: its public page
    expect(page.get_by_role("heading", name=clinic_a.name)).to_be_visible()
    expect(page.get_by_role("heading", name="What IMS is")).to_be_visible()
    expect(page.get_by_role("link", name="Staff sign in")).to_be_visible()
    screenshot("front-door-0-clinic-page")
    page.get_by_role("link", name="Am I a candidate?").click()
    expect(page.get_by_role("heading", name="Am I a candidate for IMS?")).to_be_visible()
    page.get_by_label("Low back").check()
    page.get_by_label("How long have you had this pain?").select_option(label="1 to 2 years")
    page.get_by_label("Physiotherapy").check()
    answer_every_question_no(page)
    screenshot("front-door-1-form")
    page.get_by_role("button", name="See my result").click()

    expect(page.get_by_role("heading", name="You may be a good candidate for IMS")).to_be_visible()
    screenshot("front-door-2-result")
    page.get_by_role("link", name="Book an assessment").click()

    expect(page.get_by_role("heading", name="Book an initial assessment")).to_be_visible()
    # The whole of each day, one day open at a time; a later day keeps the visit outside the
    # clinic's 24-hour cancellation window, so the email link may still move it.
    later_day = page.locator("details.slot-day").nth(2)
    later_day.locator("summary").click()
    later_day.locator("label.slot").last.click()
    page.get_by_label("First name").fill("Ruth")
    page.get_by_label("Last name").fill("Ames")
    page.get_by_label("Email").fill("ruth@example.org")
    page.get_by_label("Date of birth").fill("1971-02-03")
    page.get_by_label("The clinic may keep my answers").check()
    screenshot("front-door-3-book")
    page.get_by_role("button", name="Book this assessment").click()

    expect(page.get_by_role("heading", name="Your assessment is booked")).to_be_visible()
    screenshot("front-door-4-booked")
    appointment = Appointment.objects.get()
    assert appointment.kind == "initial_assessment" and appointment.booked_via == "online"
    assert appointment.patient.family_name == "Ames"
    assert EvaluationRequest.objects.get().status == "booked"

    # The confirmation email (locmem outbox: the live server runs in this process) carries the
    # signed link; the visitor moves the visit to the next day shown.
    link = re.search(r"https?://\S+(/screening/\S+/manage/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Your visit at {clinic_a.name}")).to_be_visible()
    page.locator("details.slot-day summary").nth(1).click()
    page.locator("details.slot-day").nth(1).locator("label.slot").first.click()
    page.get_by_role("button", name="Move my visit").click()
    expect(page.get_by_text("Your visit is moved.")).to_be_visible()
    screenshot("front-door-5-moved")
    appointment.refresh_from_db()
    moved = Appointment.objects.exclude(pk=appointment.pk).get()
    assert appointment.status == "cancelled" and moved.status == "booked"
    assert moved.starts_at != appointment.starts_at and moved.patient == appointment.patient
    assert len(mail.outbox) == 2  # the new time, with a new link and .ics


def test_not_suitable_visitor_is_told_why_and_cannot_book(page, screenshot, clinic_a):
    page.goto(f"/screening/{clinic_a.slug}/")
    page.get_by_label("Knee (front)").check()
    page.get_by_label("How long have you had this pain?").select_option(label="More than 2 years")
    answer_every_question_no(page)
    page.locator("input[name='needle_phobia'][value='yes']").check()
    page.get_by_role("button", name="See my result").click()
    expect(
        page.get_by_role("heading", name="IMS is not suitable for you right now")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Book an assessment")).to_have_count(0)
    screenshot("front-door-not-suitable")


def test_front_desk_turns_a_request_into_a_patient(page, screenshot, bob, password, clinic_a):
    EvaluationRequestFactory(
        clinic=clinic_a,
        given_name="Marta",
        family_name="Lindqvist",
        phone="(403) 555-0177",
        outcome="needs_clearance",
        reasons=[
            {
                "code": "anticoagulants",
                "message": "You take blood thinners.",
                "consequence": "require_clearance",
                "advice": "Bring a list of your medicines.",
                "outcome": "needs_clearance",
                "kind": "relative",
            }
        ],
    )
    sign_in(page, "bob", password)
    expect(page.get_by_text("1 new request to follow up")).to_be_visible()
    page.get_by_role("link", name="Requests", exact=True).click()
    page.get_by_role("link", name="Lindqvist, Marta").click()
    expect(page.get_by_role("heading", name="Marta Lindqvist")).to_be_visible()
    page.get_by_label("Date of birth").fill("1966-09-30")
    screenshot("front-door-queue-request")
    page.get_by_role("button", name="Create patient").click()

    expect(page.get_by_role("heading", name="Marta Lindqvist")).to_be_visible()
    expect(page.get_by_text("Registered Marta Lindqvist")).to_be_visible()
    expect(page.get_by_role("heading", name="Self-screening")).to_be_visible()
    screenshot("front-door-queue-patient")
    patient = Patient.objects.get(family_name="Lindqvist")
    assert EvaluationRequest.objects.get().patient == patient


def test_practitioner_moves_todays_appointment_along(
    page, screenshot, alice, password, clinic_a, clinic_morning
):
    from imsclinic.scheduling.availability import local_datetime
    from tests.factories import AppointmentFactory, PatientFactory

    weekdays_open(alice, clinic_a)
    import datetime

    # An hour after the (frozen) clinic morning: later today, whenever the suite runs.
    start = local_datetime(clinic_a.today(), datetime.time(11, 0), clinic_a.tz)
    patient = PatientFactory(clinic=clinic_a, given_name="Omar", family_name="Haddad")
    AppointmentFactory(clinic=clinic_a, practitioner=alice, patient=patient, starts_at=start)
    sign_in(page, "alice", password)
    expect(page.get_by_role("heading", name="Your appointments today")).to_be_visible()
    page.get_by_role("button", name="Omar Haddad: mark Arrived").click()
    expect(page.get_by_text("Omar Haddad: arrived.")).to_be_visible()
    screenshot("front-door-today")
    page.get_by_role("link", name="Schedule", exact=True).first.click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    screenshot("front-door-schedule")
    assert Appointment.objects.get().status == "arrived"


def test_front_desk_on_a_busy_day_sees_the_visits_in_play_and_the_whole_day_a_click_away(
    page, screenshot, alice, bob, password, clinic_a, clinic_morning
):
    """Past 25 visits, Today drops the earliest finished ones and says how many the day has;
    the schedule lists every one. Looked at on a phone, a tablet and a desktop."""
    import datetime

    from imsclinic.scheduling.availability import local_datetime
    from imsclinic.scheduling.today import TODAY_LIMIT
    from tests.factories import AppointmentFactory, PatientFactory

    weekdays_open(alice, clinic_a)
    first = local_datetime(clinic_a.today(), datetime.time(7, 0), clinic_a.tz)
    for i in range(TODAY_LIMIT + 3):
        AppointmentFactory(
            clinic=clinic_a,
            practitioner=alice,
            patient=PatientFactory(clinic=clinic_a, given_name="Visit", family_name=f"N{i:02}"),
            starts_at=first + datetime.timedelta(minutes=20 * i),
            status="completed" if i < 4 else "booked",
        )
    sign_in(page, "bob", password)
    expect(page.get_by_role("heading", name="Appointments today")).to_be_visible()
    note = page.get_by_text(f"Showing {TODAY_LIMIT} of today's {TODAY_LIMIT + 3} appointments.")
    expect(note).to_be_visible()
    expect(page.get_by_role("link", name="Visit N00")).to_have_count(0)
    expect(page.get_by_role("link", name="Visit N03")).to_be_visible()
    for width, height in [(390, 844), (768, 1024), (1366, 900)]:
        page.set_viewport_size({"width": width, "height": height})
        note.scroll_into_view_if_needed()
        screenshot(f"today-busy-day-{width}")
    page.get_by_role("link", name="The schedule shows the whole day").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    expect(page.get_by_role("link", name="Visit N00")).to_be_visible()
