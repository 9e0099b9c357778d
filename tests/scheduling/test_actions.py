"""Booking rules: assessment first, availability, no double booking, courses in one step."""

import datetime

import pytest
from django.utils import timezone

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import Assessment
from imsclinic.scheduling import actions
from imsclinic.scheduling.errors import BookingError, SeriesConflict
from imsclinic.scheduling.models import Appointment, AppointmentSeries, Kind, Status
from tests.factories import AppointmentFactory, AvailabilityFactory
from tests.factories.clinical import AssessmentFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def complete_assessment(patient, alice, clinic):
    return AppointmentFactory(
        clinic=clinic,
        patient=patient,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        status=Status.COMPLETED,
        starts_at=at(clinic, -7, 9),
    )


def book(clinic, patient, practitioner, by, kind=Kind.INITIAL_ASSESSMENT, **kw):
    kw.setdefault("starts_at", at(clinic, 3, 10))
    return actions.book_appointment(
        clinic=clinic, patient=patient, practitioner=practitioner, kind=kind, by=by, **kw
    )


def test_book_initial_assessment_lasts_60_minutes_and_is_audited(
    clinic_a, alice, bob, patient_a, open_hours
):
    appointment = book(clinic_a, patient_a, alice, bob)
    assert appointment.duration_minutes == 60
    assert appointment.status == Status.BOOKED
    event = AuditEvent.objects.get(action="appointment.book")
    assert event.actor_username == "bob" and event.patient_uuid == patient_a.uuid


def test_needling_refused_without_completed_assessment(clinic_a, alice, bob, patient_a, open_hours):
    AppointmentFactory(clinic=clinic_a, patient=patient_a, practitioner=alice)  # booked, not done
    with pytest.raises(BookingError) as refused:
        book(clinic_a, patient_a, alice, bob, kind=Kind.IMS_TREATMENT, starts_at=at(clinic_a, 4, 9))
    assert refused.value.code == "assessment_first"
    assert not Appointment.objects.filter(kind=Kind.IMS_TREATMENT).exists()


def test_needling_allowed_after_completed_assessment(clinic_a, alice, bob, patient_a, open_hours):
    complete_assessment(patient_a, alice, clinic_a)
    appointment = book(clinic_a, patient_a, alice, bob, kind=Kind.IMS_TREATMENT)
    assert appointment.duration_minutes == 30


def test_signed_clinical_assessment_counts_as_assessed(clinic_a, alice, bob, patient_a, open_hours):
    """An assessment charted without an appointment still opens needling bookings once signed."""
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    with pytest.raises(BookingError):
        book(clinic_a, patient_a, alice, bob, kind=Kind.IMS_TREATMENT, starts_at=at(clinic_a, 4, 9))
    Assessment.objects.filter(pk=assessment.pk).update(signed_at=timezone.now(), signed_by=alice)
    appointment = book(clinic_a, patient_a, alice, bob, kind=Kind.IMS_TREATMENT)
    assert appointment.kind == Kind.IMS_TREATMENT


def test_online_booking_refuses_needling_for_a_new_patient(clinic_a, alice, patient_a, open_hours):
    with pytest.raises(BookingError) as refused:
        book(clinic_a, patient_a, alice, None, kind=Kind.IMS_TREATMENT, via="online")
    assert refused.value.code == "assessment_first"
    assert "initial assessment" in refused.value.message


def test_online_booking_is_for_new_patients_only(clinic_a, alice, patient_a, open_hours):
    complete_assessment(patient_a, alice, clinic_a)
    with pytest.raises(BookingError, match="new patients"):
        book(clinic_a, patient_a, alice, None, via="online")


def test_needling_by_video_is_refused(clinic_a, alice, bob, patient_a, open_hours):
    complete_assessment(patient_a, alice, clinic_a)
    with pytest.raises(BookingError, match="video"):
        book(clinic_a, patient_a, alice, bob, kind=Kind.IMS_TREATMENT, mode="video")


def test_overlapping_booking_is_refused(clinic_a, alice, bob, patient_a, open_hours):
    from tests.factories import PatientFactory

    book(clinic_a, patient_a, alice, bob, starts_at=at(clinic_a, 3, 10))
    other = PatientFactory(clinic=clinic_a)
    with pytest.raises(BookingError) as refused:
        book(clinic_a, other, alice, bob, starts_at=at(clinic_a, 3, 10, 30))
    assert refused.value.code == "taken"
    # Back-to-back is fine.
    book(clinic_a, other, alice, bob, starts_at=at(clinic_a, 3, 11))


def test_cancelled_slot_can_be_booked_again(clinic_a, alice, bob, patient_a, open_hours):
    first = book(clinic_a, patient_a, alice, bob)
    actions.cancel_appointment(appointment=first, by=bob, reason="ill")
    again = book(clinic_a, patient_a, alice, bob)
    assert again.pk != first.pk


def test_booking_outside_hours_is_refused(clinic_a, alice, bob, patient_a, open_hours):
    with pytest.raises(BookingError, match="outside the practitioner's hours"):
        book(clinic_a, patient_a, alice, bob, starts_at=at(clinic_a, 3, 19))


def test_time_off_blocks_booking(clinic_a, alice, bob, patient_a, open_hours):
    day = clinic_a.today() + datetime.timedelta(days=3)
    actions.add_exception(
        practitioner=alice, clinic=clinic_a, date=day, is_available=False, by=alice
    )
    with pytest.raises(BookingError, match="outside"):
        book(clinic_a, patient_a, alice, bob)


def test_front_desk_cannot_be_booked_as_practitioner(clinic_a, bob, patient_a):
    with pytest.raises(BookingError, match="Only practitioners"):
        book(clinic_a, patient_a, bob, bob)


def test_patient_of_another_clinic_is_refused(clinic_a, alice, bob, patient_b, open_hours):
    with pytest.raises(BookingError, match="another clinic"):
        book(clinic_a, patient_b, alice, bob)


def test_weekly_series_of_six_books_in_one_step(clinic_a, alice, bob, patient_a, open_hours):
    complete_assessment(patient_a, alice, clinic_a)
    series = actions.book_series(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        first_starts_at=at(clinic_a, 2, 10),
        count=6,
        interval_days=7,
        by=bob,
    )
    starts = [
        a.starts_at.astimezone(clinic_a.tz) for a in series.appointments.order_by("starts_at")
    ]
    assert len(starts) == 6
    assert all(s.hour == 10 and s.minute == 0 for s in starts)  # same wall-clock time (DST-safe)
    assert [(b.date() - a.date()).days for a, b in zip(starts, starts[1:], strict=False)] == [7] * 5
    assert AuditEvent.objects.filter(action="appointment.book_series").count() == 1


def test_series_with_conflicts_saves_nothing_and_proposes_alternatives(
    clinic_a, alice, bob, patient_a, open_hours
):
    from tests.factories import PatientFactory

    complete_assessment(patient_a, alice, clinic_a)
    other = PatientFactory(clinic=clinic_a)
    AppointmentFactory(
        clinic=clinic_a,
        patient=other,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        starts_at=at(clinic_a, 16, 10),
    )
    with pytest.raises(SeriesConflict) as conflict:
        actions.book_series(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.IMS_TREATMENT,
            first_starts_at=at(clinic_a, 2, 10),
            count=6,
            interval_days=7,
            by=bob,
        )
    items = conflict.value.items
    assert [i.index for i in items] == [2]
    assert items[0].starts_at == at(clinic_a, 16, 10)
    assert items[0].alternatives and all(
        alt.astimezone(clinic_a.tz).date() == at(clinic_a, 16, 10).date()
        for alt in items[0].alternatives[:1]
    )
    assert not AppointmentSeries.objects.exists()
    assert Appointment.objects.filter(patient=patient_a, kind=Kind.IMS_TREATMENT).count() == 0


@pytest.mark.parametrize("interval", [3, 6, 15, 30])
def test_series_interval_must_be_one_to_two_weeks(clinic_a, alice, bob, patient_a, interval):
    with pytest.raises(BookingError, match="7 to 14"):
        actions.book_series(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.INITIAL_ASSESSMENT,
            first_starts_at=at(clinic_a, 2, 10),
            count=4,
            interval_days=interval,
            by=bob,
        )


def test_status_flow_and_invalid_transition(clinic_a, alice, bob, patient_a, open_hours):
    appointment = book(clinic_a, patient_a, alice, bob)
    actions.set_status(appointment=appointment, status=Status.ARRIVED, by=bob)
    actions.set_status(appointment=appointment, status=Status.IN_SESSION, by=alice)
    actions.set_status(appointment=appointment, status=Status.COMPLETED, by=alice)
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED
    with pytest.raises(BookingError, match="cannot become"):
        actions.set_status(appointment=appointment, status=Status.NO_SHOW, by=bob)
    assert AuditEvent.objects.filter(action="appointment.status").count() == 3


def test_portal_cancellation_respects_clinic_window(clinic_a, alice, pat, patient_a, open_hours):
    clinic_a.policies = {"cancellation_hours": 48}
    clinic_a.save()
    soon = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 1, 12)
    )
    with pytest.raises(BookingError, match="48 hours"):
        actions.cancel_appointment(appointment=soon, by=pat, via="portal")
    later = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 5, 12)
    )
    actions.cancel_appointment(appointment=later, by=pat, via="portal")
    later.refresh_from_db()
    assert later.status == Status.CANCELLED and later.cancelled_at is not None


def test_overlapping_weekly_hours_are_refused(clinic_a, alice):
    AvailabilityFactory(practitioner=alice, clinic=clinic_a, weekday=1)
    with pytest.raises(BookingError, match="overlap"):
        actions.add_availability(
            practitioner=alice,
            clinic=clinic_a,
            weekday=1,
            start_time=datetime.time(16, 0),
            end_time=datetime.time(18, 0),
            valid_from=datetime.date(2024, 1, 1),
            by=alice,
        )
