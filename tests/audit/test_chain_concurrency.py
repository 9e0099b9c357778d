"""The chain lock is per clinic and the last lock of a transaction (issue 14 item 1).

- PostgreSQL: appends of two clinics do not wait for each other; two appends of one clinic do.
- Online bookings (create a patient, then book), staff bookings and registrations, run by
  concurrent writers on one practitioner, neither deadlock nor lose a write, and every chain
  verifies afterwards. On PostgreSQL this deadlocked before online booking held its appends to
  the end (@appends_last); on SQLite, IMMEDIATE transactions serialise the writers.
Waits are event-driven; `lock_timeout` turns a would-be block into an error instead of a hang.
"""

import datetime
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from imsclinic.audit import chain
from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.audit.services import appends_last, record
from imsclinic.patients.actions import create_patient
from imsclinic.patients.models import Patient
from imsclinic.scheduling.actions import book_appointment
from imsclinic.scheduling.models import Appointment
from imsclinic.screening.actions import book_assessment_online
from imsclinic.screening.forms import ScreeningForm
from tests.factories.scheduling import weekdays_open
from tests.screening.test_views import answers_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks and deadlocks: PostgreSQL (SQLite serialises writers)")


def _lock_timeout(value):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{value}'")


def test_two_clinics_append_in_parallel_and_one_clinic_waits(postgresql_only, clinic_a, clinic_b):
    record(by=None, action="setup", clinic=clinic_b)  # clinic B's chain exists already
    holding, release = threading.Event(), threading.Event()
    errors = []

    def hold_clinic_a_chain():
        try:
            with transaction.atomic():
                record(by=None, action="hold", clinic=clinic_a)
                holding.set()
                release.wait(60)
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_clinic_a_chain)
    holder.start()
    try:
        assert holding.wait(30)
        with transaction.atomic():
            _lock_timeout("5s")  # far longer than an unblocked append; a block would time out
            record(by=None, action="parallel", clinic=clinic_b)
            record(by=None, action="first of its chain", clinic=None)
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            _lock_timeout("200ms")
            record(by=None, action="waits", clinic=clinic_a)
    finally:
        release.set()
        holder.join(60)
    assert not errors
    assert AuditEvent.objects.filter(action="parallel").count() == 1
    assert all(report.ok for report in chain.verify(AuditEvent))


def test_deferred_appends_drop_events_of_a_rolled_back_savepoint(clinic_a):
    @transaction.atomic
    @appends_last
    def composite():
        record(by=None, action="kept", clinic=clinic_a)
        try:
            with transaction.atomic():
                record(by=None, action="rolled back", clinic=clinic_a)
                raise ValueError("undo this part")
        except ValueError:
            pass
        assert not AuditEvent.objects.filter(action="kept").exists()  # held until the end

    composite()
    assert list(AuditEvent.objects.values_list("action", "seq")) == [("kept", 1)]


def test_appends_last_refuses_to_run_outside_a_transaction():
    @appends_last
    def outside():
        raise AssertionError("must not run")

    with pytest.raises(RuntimeError, match="under @transaction.atomic"):
        outside()


def test_bookings_and_registrations_under_concurrent_writers_never_deadlock(clinic_a, alice, bob):
    """Online bookings (patient, then practitioner lock), staff bookings (practitioner, patient)
    and registrations, all on one clinic and one practitioner, from six writers at once."""
    weekdays_open(alice, clinic_a, start=datetime.time(0, 0), end=datetime.time(23, 59))
    form = ScreeningForm(answers_post())
    assert form.is_valid(), form.errors
    screening = form.screening()
    today = timezone.localtime(timezone.now(), clinic_a.tz).date()
    midnight = datetime.datetime.combine(today, datetime.time(0, 0), tzinfo=clinic_a.tz)
    # One online writer: its chart numbers come from MAX+1, whose races are the chart-number
    # counter's business (issue 14), not the audit lock's; staff give explicit chart numbers.
    roles = ["online", "staff", "walk-in", "staff", "walk-in", "staff"]
    per_writer, writers = 6, len(roles)
    start = threading.Barrier(writers)
    errors, done = [], []

    def writer(index):
        try:
            start.wait(30)
            for step in range(per_writer):
                # Each writer books its own day, hour by hour: no slot is contested.
                slot = midnight + datetime.timedelta(days=3 + index, hours=1 + step)
                name = {"family_name": f"Writer{index}-{step}", "date_of_birth": "1980-01-01"}
                chart_number = f"T{index}-{step}"
                if roles[index] == "online":
                    book_assessment_online(
                        clinic=clinic_a,
                        contact={**name, "given_name": "Online", "email": "o@example.org"},
                        screening=screening,
                        practitioner=alice,
                        starts_at=slot,
                        mode="in_clinic",
                    )
                elif roles[index] == "staff":
                    patient = create_patient(
                        clinic=clinic_a,
                        by=bob,
                        fields={**name, "given_name": "Staff"},
                        chart_number=chart_number,
                    )
                    book_appointment(
                        clinic=clinic_a,
                        patient=patient,
                        practitioner=alice,
                        kind="initial_assessment",
                        starts_at=slot,
                        by=bob,
                        notify=False,
                    )
                else:
                    create_patient(
                        clinic=clinic_a,
                        by=bob,
                        fields={**name, "given_name": "Walk"},
                        chart_number=chart_number,
                    )
                done.append((index, step))
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(done) == writers * per_writer
    assert Patient.objects.count() == writers * per_writer
    assert Appointment.objects.count() == 4 * per_writer
    for model in (AuditEvent, ChartAccess):
        assert all(report.ok for report in chain.verify(model))
