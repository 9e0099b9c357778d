"""Two people booking the same slot at the same moment leave exactly one appointment.

Real threads, each with its own database connection, call the booking action at once (a barrier
releases them together). On SQLite the IMMEDIATE transaction serialises the writers; on
PostgreSQL the practitioner row lock does. Runs on whichever database the suite uses (CI runs
both: DATABASE_URL=postgres://... pytest tests/scheduling/test_concurrency.py).
"""

import threading

import pytest
from django.db import connection, connections

from imsclinic.scheduling import actions
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Appointment, Kind
from tests.factories import PatientFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6


def test_concurrent_bookings_of_one_slot_leave_exactly_one(clinic_a, alice, bob, open_hours):
    patients = [PatientFactory(clinic=clinic_a) for _ in range(WORKERS)]
    start = at(clinic_a, 3, 10)
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient):
        try:
            barrier.wait(timeout=10)
            actions.book_appointment(
                clinic=clinic_a,
                patient=patient,
                practitioner=alice,
                kind=Kind.INITIAL_ASSESSMENT,
                starts_at=start,
                by=bob,
                notify=False,
            )
            result = "booked"
        except BookingError as exc:
            result = exc.code
        except Exception as exc:  # surfaced in the assertion below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["booked"] + ["taken"] * (WORKERS - 1), (connection.vendor, outcomes)
    assert Appointment.objects.filter(practitioner=alice, starts_at=start).count() == 1


def test_concurrent_overlapping_series_leave_one(clinic_a, alice, bob, open_hours):
    """Two courses whose third dates collide: one is booked whole, the other not at all."""
    first, second = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    for patient in (first, second):
        Appointment.objects.create(
            clinic=clinic_a,
            patient=patient,
            practitioner=alice,
            kind=Kind.INITIAL_ASSESSMENT,
            status="completed",
            starts_at=at(clinic_a, -10, 9),
            ends_at=at(clinic_a, -10, 10),
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(patient, first_start):
        try:
            barrier.wait(timeout=10)
            actions.book_series(
                clinic=clinic_a,
                patient=patient,
                practitioner=alice,
                kind=Kind.IMS_TREATMENT,
                first_starts_at=first_start,
                count=4,
                interval_days=7,
                by=bob,
                notify=False,
            )
            outcomes.append("booked")
        except BookingError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=(first, at(clinic_a, 2, 11))),
        threading.Thread(target=attempt, args=(second, at(clinic_a, 16, 11))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["booked", "series_conflict"]
    assert Appointment.objects.filter(kind=Kind.IMS_TREATMENT).count() == 4


def test_one_patient_booked_at_once_with_two_practitioners_keeps_one(
    clinic_a, alice, bob, open_hours
):
    """The patient lock: two desks book one patient at overlapping times with different
    practitioners; exactly one booking stands."""
    from imsclinic.accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory
    from tests.factories.scheduling import weekdays_open

    dana = UserFactory(username="dana")
    MembershipFactory(user=dana, clinic=clinic_a, role=Role.PRACTITIONER)
    weekdays_open(dana, clinic_a)
    patient = PatientFactory(clinic=clinic_a)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(practitioner, start):
        try:
            barrier.wait(timeout=10)
            actions.book_appointment(
                clinic=clinic_a,
                patient=patient,
                practitioner=practitioner,
                kind=Kind.INITIAL_ASSESSMENT,
                starts_at=start,
                by=bob,
                notify=False,
            )
            result = "booked"
        except BookingError as exc:
            result = exc.code
        except Exception as exc:  # surfaced in the assertion below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=attempt, args=(alice, at(clinic_a, 3, 10))),
        threading.Thread(target=attempt, args=(dana, at(clinic_a, 3, 10, 30))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["booked", "taken"], (connection.vendor, outcomes)
    assert Appointment.objects.filter(patient=patient).count() == 1
