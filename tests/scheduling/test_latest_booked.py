"""`Patient.latest_booked_start` (scheduling/booked.py) equals a recomputation from the
appointments after every kind of scheduling write."""

import datetime

import pytest

from imsclinic.patients.models import Patient
from imsclinic.scheduling import actions
from imsclinic.scheduling.models import Appointment, Kind, Status
from tests.factories import AppointmentFactory, PatientFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def recomputed(patient):
    """The latest start of the patient's appointments that are not cancelled or no-shows, in
    Python from the rows (not the SQL the column is maintained with)."""
    starts = [
        a.starts_at
        for a in Appointment.objects.filter(patient=patient)
        if a.status not in (Status.CANCELLED, Status.NO_SHOW)
    ]
    return max(starts, default=None)


def stored(patient):
    return Patient.objects.values_list("latest_booked_start", flat=True).get(pk=patient.pk)


def assert_current(*patients):
    for patient in patients:
        assert stored(patient) == recomputed(patient), patient


@pytest.fixture
def assessed(clinic_a, alice, patient_a):
    return AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=at(clinic_a, -5, 9),
    )


def _series(clinic_a, alice, bob, patient_a, count=4):
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


def test_a_chart_without_appointments_has_none(patient_a):
    assert stored(patient_a) is None


def test_a_past_completed_visit_counts_as_booked(clinic_a, patient_a, assessed):
    # The rule asks for a start still to come; a completed visit in the past is simply earlier.
    assert stored(patient_a) == assessed.starts_at
    assert_current(patient_a)


def test_booking_and_a_series_move_it_forward(
    clinic_a, alice, bob, patient_a, open_hours, assessed
):
    one = actions.book_appointment(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        starts_at=at(clinic_a, 40, 11),
        by=bob,
        notify=False,
    )
    assert stored(patient_a) == one.starts_at
    series = _series(clinic_a, alice, bob, patient_a)
    assert_current(patient_a)
    assert stored(patient_a) == one.starts_at  # the series ends before the single visit
    one_cancelled = actions.cancel_appointment(appointment=one, by=bob, reason="Away")
    assert one_cancelled.status == Status.CANCELLED
    assert stored(patient_a) == series.appointments.order_by("starts_at").last().starts_at
    assert_current(patient_a)


def test_moving_one_visit_and_the_rest_of_a_course(
    clinic_a, alice, bob, patient_a, open_hours, assessed
):
    series = _series(clinic_a, alice, bob, patient_a)
    first, *_rest, last = series.appointments.order_by("starts_at")
    actions.reschedule(
        appointment=last, starts_at=last.starts_at + datetime.timedelta(days=3), by=bob
    )
    assert stored(patient_a) == last.starts_at + datetime.timedelta(days=3)
    assert_current(patient_a)
    actions.reschedule(
        appointment=first,
        starts_at=first.starts_at + datetime.timedelta(days=1),
        by=bob,
        whole_course=True,
    )
    assert_current(patient_a)
    assert stored(patient_a) > last.starts_at + datetime.timedelta(days=3)


def test_no_show_drops_it_and_setting_it_back_restores_it(clinic_a, alice, patient_a, assessed):
    later = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 2, 9)
    )
    assert stored(patient_a) == later.starts_at
    actions.set_status(appointment=later, status=Status.NO_SHOW, by=alice)
    assert stored(patient_a) == assessed.starts_at
    actions.set_status(appointment=later, status=Status.BOOKED, by=alice)
    assert stored(patient_a) == later.starts_at
    for status in (Status.ARRIVED, Status.IN_SESSION, Status.COMPLETED):
        actions.set_status(appointment=later, status=status, by=alice)
        assert_current(patient_a)
    assert stored(patient_a) == later.starts_at


def test_deleting_an_appointment_refreshes_it(clinic_a, alice, patient_a, assessed):
    later = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 2, 9)
    )
    later.delete()
    assert stored(patient_a) == assessed.starts_at


def test_a_merge_moves_it_to_the_surviving_chart(clinic_a, alice, olivia):
    from imsclinic.patients.merge import merge_patients

    survivor = PatientFactory(clinic=clinic_a, family_name="Ames")
    duplicate = PatientFactory(
        clinic=clinic_a, family_name="Ames", date_of_birth=survivor.date_of_birth
    )
    moved = AppointmentFactory(
        clinic=clinic_a, patient=duplicate, practitioner=alice, starts_at=at(clinic_a, 9, 9)
    )
    assert stored(duplicate) == moved.starts_at and stored(survivor) is None
    merge_patients(survivor=survivor, duplicate=duplicate, by=olivia)
    assert stored(survivor) == moved.starts_at
    assert stored(duplicate) is None
    assert_current(survivor, duplicate)


def test_bulk_written_appointments_are_filled_by_the_rebuild(clinic_a, alice, patient_a):
    """bulk_create (the demo and benchmark generators) sends no signal; the rebuild they run
    afterwards fills the column."""
    from imsclinic.outcomes.rollups import rebuild_derived

    rows = [
        Appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=Kind.IMS_TREATMENT,
            starts_at=at(clinic_a, days, 10),
            ends_at=at(clinic_a, days, 10) + datetime.timedelta(minutes=30),
            status=status,
            cancelled_at=at(clinic_a, -1, 10) if status == Status.CANCELLED else None,
        )
        for days, status in ((-3, Status.COMPLETED), (4, Status.BOOKED), (8, Status.CANCELLED))
    ]
    Appointment.objects.bulk_create(rows)
    assert stored(patient_a) is None
    rebuild_derived([clinic_a])
    assert stored(patient_a) == rows[1].starts_at
    assert_current(patient_a)
