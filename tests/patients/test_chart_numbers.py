"""Chart numbers come from a per-clinic counter row, never from MAX + 1.

Runs on whichever database the suite uses (CI runs both SQLite and PostgreSQL).
"""

import importlib
import threading

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext

from imsclinic.audit.models import AuditEvent
from imsclinic.patients import actions
from imsclinic.patients.models import ChartNumberCounter, Patient
from tests.factories import PatientFactory

FIELDS = {"given_name": "Ada", "family_name": "Counter", "date_of_birth": "1980-01-02"}


def register(clinic, by, **extra):
    return actions.create_patient(clinic=clinic, by=by, fields=dict(FIELDS), **extra)


@pytest.mark.django_db
def test_first_registration_continues_after_the_highest_six_digit_chart(clinic_a, bob):
    PatientFactory(clinic=clinic_a, chart_number="000041")
    PatientFactory(clinic=clinic_a, chart_number="IMPORT-9999")  # another format: not counted
    assert register(clinic_a, bob).chart_number == "000042"
    assert register(clinic_a, bob).chart_number == "000043"
    assert ChartNumberCounter.objects.get(clinic=clinic_a).last_number == 43


@pytest.mark.django_db
def test_numbering_is_per_clinic(clinic_a, clinic_b, bob):
    assert register(clinic_a, bob).chart_number == "000001"
    assert register(clinic_b, bob).chart_number == "000001"
    assert register(clinic_a, bob).chart_number == "000002"


@pytest.mark.django_db
def test_registration_reads_the_counter_not_the_maximum(clinic_a, bob):
    register(clinic_a, bob)  # creates and seeds the counter
    with CaptureQueriesContext(connection) as queries:
        register(clinic_a, bob)
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "MAX(" not in sql
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in sql


@pytest.mark.django_db
def test_numbers_taken_behind_the_counters_back_are_skipped(clinic_a, bob):
    assert register(clinic_a, bob).chart_number == "000001"
    # A bulk loader (or an older import) wrote the next two numbers without the counter.
    PatientFactory(clinic=clinic_a, chart_number="000002")
    PatientFactory(clinic=clinic_a, chart_number="000003")
    assert register(clinic_a, bob).chart_number == "000004"


@pytest.mark.django_db
def test_an_imported_six_digit_number_moves_the_counter_past_it(clinic_a, bob):
    register(clinic_a, bob)
    register(clinic_a, bob, chart_number="000500")
    register(clinic_a, bob, chart_number="LEGACY-7")
    assert register(clinic_a, bob).chart_number == "000501"


@pytest.mark.django_db
def test_a_duplicate_imported_number_is_refused_and_saves_nothing(clinic_a, bob):
    register(clinic_a, bob, chart_number="LEGACY-7")
    patients, events = Patient.objects.count(), AuditEvent.objects.count()
    with pytest.raises(IntegrityError):
        register(clinic_a, bob, chart_number="LEGACY-7")
    assert (Patient.objects.count(), AuditEvent.objects.count()) == (patients, events)


@pytest.mark.django_db
def test_the_data_migration_seeds_each_clinic_from_its_charts(clinic_a, clinic_b):
    migration = importlib.import_module(
        "imsclinic.patients.migrations.0004_seed_chart_number_counters"
    )
    PatientFactory(clinic=clinic_a, chart_number="000007")
    PatientFactory(clinic=clinic_a, chart_number="000120")
    PatientFactory(clinic=clinic_a, chart_number="9999999")  # seven digits: not the format
    PatientFactory(clinic=clinic_b, chart_number="B-1")
    ChartNumberCounter.objects.all().delete()
    migration.seed(apps, None)
    assert dict(ChartNumberCounter.objects.values_list("clinic_id", "last_number")) == {
        clinic_a.pk: 120
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_consecutive_numbers(clinic_a, bob):
    """Six receptionists register at once, four patients each: 24 charts numbered 1..24, none
    refused, none retried into a gap."""
    writers, each = 6, 4
    barrier = threading.Barrier(writers)
    failures: list[str] = []
    lock = threading.Lock()

    def receptionist():
        try:
            barrier.wait(timeout=10)
            for _ in range(each):
                register(clinic_a, bob)
        except Exception as exc:  # surfaced in the assertion below
            with lock:
                failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receptionist) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == [], (connection.vendor, failures)
    numbers = sorted(Patient.objects.filter(clinic=clinic_a).values_list("chart_number", flat=True))
    assert numbers == [f"{n:06d}" for n in range(1, writers * each + 1)]
