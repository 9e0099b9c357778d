"""Two waitlist acceptances of one slot leave exactly one booking.

Real threads, each with its own database connection, accept the same offer at once (a barrier
releases them together). The offer row is locked first (SELECT … FOR UPDATE on PostgreSQL; the
IMMEDIATE transaction on SQLite), so the second acceptance waits, then finds the offer taken.
Runs on whichever database the suite uses; CI runs both (DATABASE_URL=postgres://...).
"""

import threading

import pytest
from django.db import connection, connections

from imsclinic.scheduling.models import Appointment, Kind
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.models import EntryStatus, OfferStatus, RecipientOutcome
from tests.factories import PatientFactory, ServiceFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4


def test_two_waitlist_acceptances_of_one_slot_leave_exactly_one_booking(
    clinic_a, alice, bob, open_hours
):
    service = ServiceFactory(
        clinic=clinic_a,
        name="Initial IMS assessment",
        kind=Kind.INITIAL_ASSESSMENT,
        duration_minutes=60,
    )
    start = at(clinic_a, 3, 10)
    entries = [
        actions.add_entry(
            clinic=clinic_a,
            patient=PatientFactory(clinic=clinic_a),
            service=service,
            earliest_date=clinic_a.today(),
            by=bob,
        )
        for _ in range(WORKERS)
    ]
    offer = actions.send_offer(
        clinic=clinic_a, practitioner=alice, starts_at=start, entries=entries, by=bob, sms=False
    )
    recipients = list(offer.recipients.all())
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(recipient):
        try:
            barrier.wait(timeout=10)
            result = actions.accept_offer(recipient=recipient).outcome
        except Exception as exc:  # surfaced in the assertion below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=accept, args=(r,)) for r in recipients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["booked"] + ["taken"] * (WORKERS - 1), (connection.vendor, outcomes)
    booked = Appointment.objects.active().filter(practitioner=alice, starts_at=start)
    assert booked.count() == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN and offer.appointment == booked.get()
    answers = sorted(r.outcome for r in offer.recipients.all())
    assert answers == [RecipientOutcome.ACCEPTED] + [RecipientOutcome.TOO_LATE] * (WORKERS - 1)
    statuses = sorted(
        e.status for e in type(entries[0]).objects.filter(pk__in=[e.pk for e in entries])
    )
    assert statuses == [EntryStatus.BOOKED] + [EntryStatus.WAITING] * (WORKERS - 1)
