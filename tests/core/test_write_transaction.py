"""core.db.write_transaction: conflicts are retried (bounded, logged), everything else is not,
and a write that keeps conflicting is a 503 "try again" with nothing saved, never a 500.

Real conflicts only: a PostgreSQL deadlock between two threads, and on SQLite a write lock held
by another connection. Transactional tests, since only an outermost transaction can be retried.
"""

import contextlib
import logging
import re
import sqlite3
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from imsclinic.audit.models import AuditEvent
from imsclinic.core.db import DatabaseBusy, write_transaction
from imsclinic.patients.models import Patient
from tests.conftest import login
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

BUSY_DAY = {
    "given_name": "Busy",
    "family_name": "Day",
    "date_of_birth": "1980-01-01",
    "sex": "female",
    "preferred_language": "en",
}

on_sqlite = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="SQLite's write lock; PostgreSQL is tested below"
)
on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="a PostgreSQL deadlock"
)


class RetryLog(logging.Handler):
    """Collects the wrapper's retry warnings and runs `on_retry` synchronously at each one."""

    def __init__(self, on_retry=None):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.on_retry = on_retry

    def emit(self, record):
        self.records.append(record)
        if self.on_retry and record.levelno == logging.WARNING:
            self.on_retry()


@contextlib.contextmanager
def retry_log(on_retry=None):
    handler = RetryLog(on_retry)
    logger = logging.getLogger("imsclinic.db")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@contextlib.contextmanager
def short_sqlite_busy_timeout():
    """Give up waiting for SQLite's write lock after 50 ms instead of 30 s, on this connection
    and on any it opens during the block (a request closes and reopens it)."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    options["timeout"] = 0.05
    options["init_command"] = re.sub(
        r"busy_timeout=\d+", "busy_timeout=50", options["init_command"]
    )
    connection.close()
    try:
        yield
    finally:
        options.clear()
        options.update(saved)
        connection.close()


@contextlib.contextmanager
def foreign_write_lock():
    """Another connection holding SQLite's write lock until `.release()` or the block ends."""
    holder = sqlite3.connect(
        connection.settings_dict["NAME"], isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")

    class Lock:
        held = True

        def release(self):
            if self.held:
                holder.execute("ROLLBACK")
                self.held = False

    lock = Lock()
    try:
        yield lock
    finally:
        lock.release()
        holder.close()


def register(clinic, name: str) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        chart_number=name,
        given_name="Retry",
        family_name=name,
        date_of_birth="1980-01-01",
    )


@on_sqlite
def test_a_locked_sqlite_database_is_retried_and_the_write_lands_once(clinic_a):
    @write_transaction
    def write():
        return register(clinic_a, "RETRY-1")

    with short_sqlite_busy_timeout(), foreign_write_lock() as lock:
        # The other writer finishes the moment our first attempt gives up and is logged.
        with retry_log(on_retry=lock.release) as log:
            patient = write()
    assert Patient.objects.filter(chart_number="RETRY-1").get() == patient
    [warning] = log.records
    assert "attempt 1 of 5" in warning.getMessage()
    assert "database is locked" in warning.getMessage()


@on_sqlite
def test_a_write_that_keeps_conflicting_gives_up_after_its_attempts(clinic_a):
    @write_transaction(attempts=3)
    def write():
        return register(clinic_a, "NEVER")

    with short_sqlite_busy_timeout(), foreign_write_lock(), retry_log() as log:
        with pytest.raises(DatabaseBusy):
            write()
    assert [r.levelname for r in log.records] == ["WARNING", "WARNING", "ERROR"]
    assert not Patient.objects.filter(chart_number="NEVER").exists()


@on_sqlite
def test_an_api_write_that_keeps_conflicting_is_a_503_with_nothing_saved(client, clinic_a, bob):
    login(client, bob)
    patients, events = Patient.objects.count(), AuditEvent.objects.count()
    with short_sqlite_busy_timeout(), foreign_write_lock(), retry_log():
        response = client.post(
            "/api/v1/patients",
            BUSY_DAY,
            content_type="application/json",
        )
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Nothing was saved" in response.json()["detail"]
    assert (Patient.objects.count(), AuditEvent.objects.count()) == (patients, events)


@on_sqlite
def test_a_page_write_that_keeps_conflicting_is_a_503_page(client, clinic_a, bob):
    login(client, bob)
    with short_sqlite_busy_timeout(), foreign_write_lock(), retry_log():
        response = client.post(
            "/patients/new/",
            BUSY_DAY,
        )
    assert response.status_code == 503
    assert b"busy with other changes" in response.content
    assert not Patient.objects.filter(family_name="Day").exists()


def test_other_database_errors_are_not_retried(clinic_a):
    PatientFactory(clinic=clinic_a, chart_number="TAKEN")
    calls = []

    @write_transaction
    def write():
        calls.append(1)
        return register(clinic_a, "TAKEN")

    with retry_log() as log, pytest.raises(IntegrityError):
        write()
    assert len(calls) == 1
    assert log.records == []


def test_inside_a_transaction_the_owner_of_the_transaction_decides(clinic_a):
    """A nested call runs once in a savepoint: a conflict there has already aborted the outer
    transaction, so only the outermost write_transaction may run it again."""
    depth = []

    @write_transaction
    def inner():
        depth.append(connection.in_atomic_block)
        return register(clinic_a, "NESTED")

    with transaction.atomic():
        inner()
    assert depth == [True]
    assert Patient.objects.filter(chart_number="NESTED").exists()


@on_postgresql
def test_a_postgresql_deadlock_is_retried_and_both_writes_land(clinic_a):
    """Two writers lock two patient rows in opposite order: PostgreSQL aborts one (40P01), the
    wrapper runs it again, and both commit."""
    first, second = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    both_hold_one = threading.Barrier(2)
    results: list[str] = []

    def writer(one, other, name):
        attempts = []

        @write_transaction
        def write():
            attempts.append(1)
            Patient.objects.select_for_update().get(pk=one.pk)
            if len(attempts) == 1:
                both_hold_one.wait(timeout=10)
            Patient.objects.select_for_update().get(pk=other.pk)
            Patient.objects.filter(pk=one.pk).update(referring_physician=name)

        try:
            write()
            results.append(f"{name}: committed after {len(attempts)}")
        except Exception as exc:  # surfaced in the assertion below
            results.append(f"{name}: {exc!r}")
        finally:
            connections.close_all()

    with retry_log() as log:
        threads = [
            threading.Thread(target=writer, args=(first, second, "A")),
            threading.Thread(target=writer, args=(second, first, "B")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results) in (
        ["A: committed after 1", "B: committed after 2"],
        ["A: committed after 2", "B: committed after 1"],
    ), results
    [warning] = log.records
    assert "deadlock detected" in warning.getMessage()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.referring_physician, second.referring_physician) == ("A", "B")


@on_postgresql
def test_a_postgresql_deadlock_past_the_last_attempt_is_database_busy_with_nothing_saved(
    clinic_a,
):
    """With a single attempt, the deadlock victim gives up: DatabaseBusy (the 503), its change
    rolled back; the other writer commits."""
    first, second = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    both_hold_one = threading.Barrier(2)
    results: dict[str, str] = {}

    def writer(one, other, name):
        @write_transaction(attempts=1)
        def write():
            Patient.objects.filter(pk=one.pk).update(referring_physician=name)
            both_hold_one.wait(timeout=10)
            Patient.objects.filter(pk=other.pk).update(referring_physician=name)

        try:
            write()
            results[name] = "committed"
        except DatabaseBusy:
            results[name] = "busy"
        except Exception as exc:  # surfaced in the assertion below
            results[name] = repr(exc)
        finally:
            connections.close_all()

    with retry_log() as log:
        threads = [
            threading.Thread(target=writer, args=(first, second, "A")),
            threading.Thread(target=writer, args=(second, first, "B")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results.values()) == ["busy", "committed"], results
    [winner] = [name for name, outcome in results.items() if outcome == "committed"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.referring_physician, second.referring_physician) == (winner, winner)
    [gave_up] = log.records
    assert gave_up.levelname == "ERROR" and "gave up" in gave_up.getMessage()
