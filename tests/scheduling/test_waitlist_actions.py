"""The waitlist's matching and actions: who fits a freed time, one-click booking through the
booking rules, offers whose first acceptance wins, and the refusals in words."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling import actions as booking
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Appointment, BookedVia, Kind, Status
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.matching import free_slot, matches
from imsclinic.scheduling.waitlist.models import (
    DayPart,
    EntryStatus,
    OfferStatus,
    RecipientOutcome,
)
from imsclinic.scheduling.waitlist.offers import offer_token, recipient_uuid
from tests.factories import AppointmentFactory, PatientFactory, ServiceFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(clinic_a):
    return ServiceFactory(
        clinic=clinic_a,
        name="Initial IMS assessment",
        kind=Kind.INITIAL_ASSESSMENT,
        duration_minutes=60,
    )


@pytest.fixture
def treatment(clinic_a):
    return ServiceFactory(clinic=clinic_a, name="IMS treatment", kind=Kind.IMS_TREATMENT)


def _add(clinic, patient, service, by, **fields):
    fields.setdefault("earliest_date", clinic.today())
    return actions.add_entry(clinic=clinic, patient=patient, service=service, by=by, **fields)


def _assessed(patient, alice):
    AppointmentFactory(
        clinic=patient.clinic,
        patient=patient,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=at(patient.clinic, -7, 9),
    )


# ---- matching -------------------------------------------------------------------------------
def test_a_cancelled_visit_frees_a_slot_that_lists_the_fitting_waiters(
    clinic_a, alice, bob, open_hours, assessment
):
    start = at(clinic_a, 3, 10)
    visit = booking.book_appointment(
        clinic=clinic_a,
        patient=PatientFactory(clinic=clinic_a),
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=start,
        by=bob,
        notify=False,
    )
    first = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    second = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob, practitioner=alice)
    assert free_slot(clinic_a, alice, start) is None  # booked: nothing to fill
    booking.cancel_appointment(appointment=visit, by=bob)
    slot = free_slot(clinic_a, alice, start)
    assert slot.ends_at == at(clinic_a, 3, 18)  # the end of her hours
    assert [m.entry for m in matches(clinic_a, slot)] == [first, second]  # waiting longest


def test_matching_honours_days_parts_dates_practitioner_and_length(
    clinic_a, alice, bob, olivia, open_hours, assessment
):
    from imsclinic.accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    dana = UserFactory(username="dana", first_name="Dana", last_name="Other")
    MembershipFactory(user=dana, clinic=clinic_a, role=Role.PRACTITIONER)
    start = at(clinic_a, 3, 10)  # a morning
    weekday = start.astimezone(clinic_a.tz).weekday()
    day = start.astimezone(clinic_a.tz).date()
    other_days = 0b1111111 & ~(1 << weekday)

    def waiter(**fields):
        return _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob, **fields)

    fits = waiter(days=1 << weekday, day_parts=DayPart.MORNING)
    waiter(days=other_days)
    waiter(day_parts=DayPart.AFTERNOON | DayPart.EVENING)
    waiter(earliest_date=day + datetime.timedelta(days=1))
    waiter(latest_date=day - datetime.timedelta(days=1))
    waiter(practitioner=dana)
    # The slot ends at 10:30 (a visit follows): a 60-minute assessment does not fit it.
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 3, 10, 30))
    short = matches(clinic_a, free_slot(clinic_a, alice, start))
    assert short == []
    Appointment.objects.filter(starts_at=at(clinic_a, 3, 10, 30)).delete()
    assert [m.entry for m in matches(clinic_a, free_slot(clinic_a, alice, start))] == [fits]


def test_a_waiter_with_a_visit_then_or_without_an_assessment_is_not_offered(
    clinic_a, alice, bob, open_hours, assessment, treatment
):
    start = at(clinic_a, 3, 10)
    busy = PatientFactory(clinic=clinic_a)
    AppointmentFactory(clinic=clinic_a, patient=busy, practitioner=bob, starts_at=start)
    _add(clinic_a, busy, assessment, bob)
    _add(clinic_a, PatientFactory(clinic=clinic_a), treatment, bob)  # never assessed
    assessed = PatientFactory(clinic=clinic_a)
    _assessed(assessed, alice)
    ready = _add(clinic_a, assessed, treatment, bob)
    assert [m.entry for m in matches(clinic_a, free_slot(clinic_a, alice, start))] == [ready]


def test_best_fit_puts_the_service_that_fills_the_time_first(
    clinic_a, alice, bob, open_hours, assessment, treatment
):
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 3, 11))
    patient = PatientFactory(clinic=clinic_a)
    _assessed(patient, alice)
    short = _add(clinic_a, patient, treatment, bob)  # 30 of the 60 free minutes
    full = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    slot = free_slot(clinic_a, alice, at(clinic_a, 3, 10))
    assert [m.entry for m in matches(clinic_a, slot)] == [short, full]
    ranked = matches(clinic_a, slot, rank="fit")
    assert [(m.entry, m.unused_minutes) for m in ranked] == [(full, 0), (short, 30)]


# ---- entries --------------------------------------------------------------------------------
def test_adding_is_audited_once_and_refuses_duplicates_and_bad_ranges(
    clinic_a, bob, patient_a, assessment
):
    entry = _add(clinic_a, patient_a, assessment, bob, notes="  Prefers early  ")
    assert entry.status == EntryStatus.WAITING and entry.notes == "Prefers early"
    assert AuditEvent.objects.filter(action="waitlist.add", target_id=str(entry.uuid)).count() == 1
    with pytest.raises(BookingError, match="already waiting for this service"):
        _add(clinic_a, patient_a, assessment, bob)
    today = clinic_a.today()
    with pytest.raises(BookingError, match="last date must be on or after the first"):
        _add(
            clinic_a,
            PatientFactory(clinic=clinic_a),
            assessment,
            bob,
            earliest_date=today + datetime.timedelta(days=5),
            latest_date=today + datetime.timedelta(days=1),
        )
    with pytest.raises(BookingError, match="at least one day"):
        _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob, days=0)


def test_only_staff_of_the_clinic_keep_its_waitlist(clinic_a, carol, pat, patient_a, assessment):
    with pytest.raises(PermissionDenied):
        _add(clinic_a, patient_a, assessment, carol)
    # A portal patient keeps only her own entries (tests/scheduling/test_waitlist_portal.py).
    with pytest.raises(PermissionDenied):
        _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, pat)


def test_withdraw_closes_the_entry_and_a_closed_entry_cannot_change(
    clinic_a, bob, patient_a, assessment
):
    entry = _add(clinic_a, patient_a, assessment, bob)
    actions.withdraw_entry(entry=entry, by=bob, reason="Found a time elsewhere")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN and entry.closed_at is not None
    with pytest.raises(BookingError, match="withdrawn; nothing was changed"):
        actions.update_entry(entry=entry, by=bob, notes="x")


def test_edit_names_the_changed_fields(clinic_a, alice, bob, patient_a, assessment):
    entry = _add(clinic_a, patient_a, assessment, bob)
    actions.update_entry(entry=entry, by=bob, practitioner=alice, day_parts=DayPart.MORNING)
    event = AuditEvent.objects.get(action="waitlist.edit")
    assert sorted(event.details["fields"]) == ["day_parts", "practitioner"]


# ---- one-click booking ----------------------------------------------------------------------
def test_book_from_waitlist_goes_through_the_booking_rules(
    clinic_a, alice, bob, open_hours, assessment, patient_a
):
    entry = _add(clinic_a, patient_a, assessment, bob)
    start = at(clinic_a, 3, 10)
    appointment = actions.book_from_waitlist(
        entry=entry, practitioner=alice, starts_at=start, by=bob
    )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED and entry.appointment == appointment
    assert appointment.service == assessment and appointment.ends_at == at(clinic_a, 3, 11)
    assert AuditEvent.objects.filter(action="waitlist.book").count() == 1
    assert AuditEvent.objects.filter(action="appointment.book").count() == 1
    with pytest.raises(BookingError, match="booked; nothing was changed"):
        actions.book_from_waitlist(entry=entry, practitioner=alice, starts_at=start, by=bob)


def test_a_refused_booking_leaves_the_entry_waiting(
    clinic_a, alice, bob, open_hours, assessment, treatment, patient_a
):
    start = at(clinic_a, 3, 10)
    AppointmentFactory(clinic=clinic_a, patient=patient_a, practitioner=bob, starts_at=start)
    entry = _add(clinic_a, patient_a, assessment, bob)
    with pytest.raises(BookingError, match="the patient already has an appointment then"):
        actions.book_from_waitlist(entry=entry, practitioner=alice, starts_at=start, by=bob)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    assert not AuditEvent.objects.filter(action__in=["waitlist.book", "appointment.book"]).exists()
    # The same-day needling rule holds too.
    needler = PatientFactory(clinic=clinic_a)
    _assessed(needler, alice)
    booking.book_appointment(
        clinic=clinic_a,
        patient=needler,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        starts_at=at(clinic_a, 3, 8),
        by=bob,
        notify=False,
    )
    second = _add(clinic_a, needler, treatment, bob)
    with pytest.raises(BookingError, match="second needling visit on one day needs an override"):
        actions.book_from_waitlist(entry=second, practitioner=alice, starts_at=start, by=bob)
    wanted = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob, practitioner=alice)
    from tests.factories import UserFactory

    with pytest.raises(BookingError, match="waiting for Alice"):
        actions.book_from_waitlist(
            entry=wanted, practitioner=UserFactory(), starts_at=start, by=bob
        )


# ---- offers ---------------------------------------------------------------------------------
def _offer(clinic, alice, bob, entries, start, **kw):
    return actions.send_offer(
        clinic=clinic, practitioner=alice, starts_at=start, entries=entries, by=bob, **kw
    )


def test_an_offer_goes_out_after_commit_by_email_and_text(
    clinic_a, alice, bob, open_hours, assessment, capsys, django_capture_on_commit_callbacks
):
    start = at(clinic_a, 3, 10)
    one = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    two = _add(clinic_a, PatientFactory(clinic=clinic_a, email=""), assessment, bob)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        offer = _offer(clinic_a, alice, bob, [one, two], start)
    assert mail.outbox == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [one.patient.email]
    assert clinic_a.name in message.subject and "Initial IMS assessment" in message.subject
    assert "/schedule/waitlist/offer/" in message.body and "first to confirm" in message.body
    printed = capsys.readouterr().out
    assert printed.count("SMS to ") == 2 and "First to confirm gets it" in printed
    states = {r.entry_id: (r.email_state, r.sms_state) for r in offer.recipients.all()}
    assert states == {one.pk: ("sent", "sent"), two.pk: ("no_email", "sent")}
    for entry in (one, two):
        entry.refresh_from_db()
        assert entry.status == EntryStatus.OFFERED
    assert AuditEvent.objects.filter(action="waitlist.offer").count() == 1


def test_the_first_acceptance_books_and_the_second_is_told_it_was_taken(
    clinic_a, alice, bob, open_hours, assessment
):
    start = at(clinic_a, 3, 10)
    one = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    two = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    offer = _offer(clinic_a, alice, bob, [one, two], start)
    first, second = offer.recipients.order_by("created_at")
    assert str(second.uuid) == recipient_uuid(offer_token(second))
    answer = actions.accept_offer(recipient=second)
    assert answer.outcome == "booked"
    appointment = answer.appointment
    assert appointment.patient == two.patient and appointment.booked_via == BookedVia.WAITLIST
    assert appointment.booked_by is None
    late = actions.accept_offer(recipient=first)
    assert late.outcome == "taken"
    offer.refresh_from_db()
    first.refresh_from_db()
    one.refresh_from_db()
    two.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN and offer.appointment == appointment
    assert first.outcome == RecipientOutcome.TOO_LATE
    assert one.status == EntryStatus.WAITING  # still waiting for another time
    assert two.status == EntryStatus.BOOKED
    assert Appointment.objects.active().filter(starts_at=start).count() == 1
    assert AuditEvent.objects.filter(action="waitlist.accept").count() == 2
    # Answering again shows the booking, and books nothing more.
    assert actions.accept_offer(recipient=second).outcome == "booked"
    assert Appointment.objects.active().filter(starts_at=start).count() == 1


def test_an_offer_expires_and_a_slot_booked_otherwise_is_taken(
    clinic_a, alice, bob, open_hours, assessment, patient_a
):
    start = at(clinic_a, 3, 10)
    one = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    offer = _offer(clinic_a, alice, bob, [one], start, hours=2)
    with time_machine.travel(offer.expires_at + datetime.timedelta(minutes=1)):
        assert actions.accept_offer(recipient=offer.recipients.get()).outcome == "expired"
    one.refresh_from_db()
    assert one.status == EntryStatus.WAITING
    # A new offer, then the desk books the time for someone else by phone.
    again = _offer(clinic_a, alice, bob, [one], start)
    booking.book_appointment(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=start,
        by=bob,
        notify=False,
    )
    assert actions.accept_offer(recipient=again.recipients.get()).outcome == "taken"
    assert Appointment.objects.active().filter(starts_at=start).count() == 1


def test_offers_are_refused_for_a_taken_time_or_people_who_do_not_fit(
    clinic_a, alice, bob, open_hours, assessment, patient_a
):
    start = at(clinic_a, 3, 10)
    fits = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    later = _add(
        clinic_a,
        patient_a,
        assessment,
        bob,
        earliest_date=clinic_a.today() + datetime.timedelta(days=10),
    )
    with pytest.raises(BookingError, match="do not fit that time any more: Patricia Nguyen"):
        _offer(clinic_a, alice, bob, [fits, later], start)
    with pytest.raises(BookingError, match="at least one person"):
        _offer(clinic_a, alice, bob, [], start)
    with pytest.raises(BookingError, match="email, text message or both"):
        _offer(clinic_a, alice, bob, [fits], start, email=False, sms=False)
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=start)
    with pytest.raises(BookingError, match="no longer free"):
        _offer(clinic_a, alice, bob, [fits], start)


def test_staff_booking_the_offered_time_closes_the_offer(
    clinic_a, alice, bob, open_hours, assessment
):
    start = at(clinic_a, 3, 10)
    one = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    two = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    offer = _offer(clinic_a, alice, bob, [one, two], start)
    actions.book_from_waitlist(entry=two, practitioner=alice, starts_at=start, by=bob)
    offer.refresh_from_db()
    one.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN and one.status == EntryStatus.WAITING
    answer = actions.accept_offer(recipient=offer.recipients.get(entry=one))
    assert answer.outcome == "taken"


def test_expire_closes_past_entries_and_answerless_offers(
    clinic_a, alice, bob, open_hours, assessment
):
    start = at(clinic_a, 3, 10)
    today = clinic_a.today()
    old = _add(
        clinic_a,
        PatientFactory(clinic=clinic_a),
        assessment,
        bob,
        latest_date=today + datetime.timedelta(days=1),
    )
    offered = _add(clinic_a, PatientFactory(clinic=clinic_a), assessment, bob)
    offer = _offer(clinic_a, alice, bob, [offered], start, hours=1)
    with time_machine.travel(datetime.datetime.now(clinic_a.tz) + datetime.timedelta(days=2)):
        assert actions.expire(clinic=clinic_a) == (1, 1)
        assert actions.expire(clinic=clinic_a) == (0, 0)
    old.refresh_from_db()
    offered.refresh_from_db()
    offer.refresh_from_db()
    assert old.status == EntryStatus.EXPIRED and old.closed_at is not None
    assert offered.status == EntryStatus.WAITING and offer.status == OfferStatus.EXPIRED
    assert AuditEvent.objects.filter(action="waitlist.expire").count() == 1


def test_the_expire_command_runs_for_every_clinic(clinic_a, bob, assessment):
    from io import StringIO

    from django.core.management import call_command

    entry = _add(
        clinic_a, PatientFactory(clinic=clinic_a), assessment, bob, latest_date=clinic_a.today()
    )
    out = StringIO()
    with time_machine.travel(datetime.datetime.now(clinic_a.tz) + datetime.timedelta(days=2)):
        call_command("expire_waitlist", stdout=out)
    assert out.getvalue().strip() == "Waitlist entries expired: 1; offers expired: 0"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.EXPIRED


def test_an_edit_cannot_make_a_second_identical_wait(clinic_a, alice, bob, patient_a, assessment):
    _add(clinic_a, patient_a, assessment, bob, practitioner=alice)
    other = _add(clinic_a, patient_a, assessment, bob)
    with pytest.raises(BookingError, match="already waiting for this service"):
        actions.update_entry(entry=other, by=bob, practitioner=alice)
    actions.update_entry(entry=other, by=bob, notes="Any practitioner is fine")  # itself: fine
