"""Business row locks lock only what they mean to (PostgreSQL; docs/performance.md "Lock order").

While one transaction holds the locks of a booking or a signature, another inserts a row that
merely references the locked rows (a foreign key takes a KEY SHARE lock on the row it points to).
That insert must go through at once: a plain FOR UPDATE, or one that also locked the joined clinic
row, blocked it, and those waits deadlocked with the audit chain's lock under load. The insert
runs with a lock timeout, so a regression fails in seconds instead of hanging.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from imsclinic.billing import actions as billing
from imsclinic.billing.models import PaymentMethod
from imsclinic.clinical import actions as clinical
from imsclinic.scheduling import actions as scheduling
from imsclinic.scheduling.models import Kind
from tests.factories import (
    ConsentFactory,
    NeedlingRowFactory,
    PatientFactory,
    TreatmentSessionFactory,
)
from tests.factories.scheduling import weekdays_open
from tests.scheduling.conftest import at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL row lock modes"),
]


def while_held(write, insert):
    """Run `write` in a transaction on another thread and keep it open; meanwhile run `insert`
    here with a 3 s lock timeout. Returns what `insert` returned."""
    holding, release = threading.Event(), threading.Event()
    failures = []

    def holder():
        try:
            with transaction.atomic():
                write()
                holding.set()
                release.wait(timeout=30)
        except Exception as exc:  # surfaced below
            failures.append(repr(exc))
            holding.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert failures == []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            return insert()
    finally:
        release.set()
        thread.join(timeout=30)


def test_a_booking_does_not_block_sessions_charted_by_its_practitioner(clinic_a, alice, bob):
    weekdays_open(alice, clinic_a)
    booked, charted = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)

    def book():
        scheduling.book_appointment(
            clinic=clinic_a,
            patient=booked,
            practitioner=alice,
            kind=Kind.INITIAL_ASSESSMENT,
            starts_at=at(clinic_a, 2, 10),
            by=bob,
            notify=False,
        )

    session = while_held(book, lambda: TreatmentSessionFactory(patient=charted, practitioner=alice))
    assert session.pk is not None


def test_signing_a_session_does_not_lock_the_clinic(clinic_a, alice, patient_a):
    ConsentFactory(patient=patient_a, explained_by=alice)
    draft = TreatmentSessionFactory(patient=patient_a, practitioner=alice, session_number=1)
    NeedlingRowFactory(session=draft, muscle_id="gluteus_medius", side="R")

    def sign():
        clinical.sign_session(session=draft, by=alice)

    registered = while_held(sign, lambda: PatientFactory(clinic=clinic_a))
    assert registered.pk is not None


def _draft_invoice(patient, by):
    return billing.create_invoice(
        patient=patient, by=by, lines=[{"description": "IMS treatment", "unit_price": "95.00"}]
    )


def test_issuing_an_invoice_does_not_lock_the_clinic(clinic_a, bob, patient_a):
    """Two clients invoicing one patient deadlocked on PostgreSQL (the benchmark's 503s): the
    issuing transaction held the clinic row FOR UPDATE (select_related without `of`) while the
    other, having bumped the patient's chart version, waited at COMMIT for its KEY SHARE on it."""
    draft = _draft_invoice(patient_a, bob)

    def issue():
        billing.issue_invoice(invoice=draft, by=bob)

    registered = while_held(issue, lambda: PatientFactory(clinic=clinic_a))
    assert registered.pk is not None


def test_taking_a_payment_locks_neither_the_clinic_nor_the_patient(clinic_a, alice, bob, patient_a):
    invoice = billing.issue_invoice(invoice=_draft_invoice(patient_a, bob), by=bob)

    def pay():
        billing.record_payment(
            invoice=invoice, by=bob, method=PaymentMethod.DEBIT, amount="40.00", reference="T-1"
        )

    # A session references both the patient and the clinic.
    session = while_held(
        pay, lambda: TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    )
    assert session.pk is not None
