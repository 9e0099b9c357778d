"""The demo clinic's waitlist: a few people waiting, and tomorrow's cancelled visit they can fill."""

import pytest

from imsclinic.scheduling.models import Appointment, Status
from imsclinic.scheduling.waitlist.matching import cancelled_slot, matches
from imsclinic.scheduling.waitlist.models import WaitlistEntry
from imsclinic.web.demo import build_demo

pytestmark = pytest.mark.django_db


def test_demo_waitlist_has_waiters_for_a_cancelled_visit():
    ctx = build_demo(patients=40, seed=3)
    clinic = ctx.clinic
    entries = WaitlistEntry.objects.open().filter(clinic=clinic)
    assert entries.count() == 3
    assert {e.service.name for e in entries} == {"Initial IMS assessment", "IMS treatment"}
    cancelled = Appointment.objects.get(
        clinic=clinic, status=Status.CANCELLED, cancel_reason__startswith="Called to cancel"
    )
    slot = cancelled_slot(cancelled)
    assert slot is not None
    assert matches(clinic, slot), "nobody on the demo waitlist fits the freed time"
    build_demo(patients=40, seed=3)  # extending the demo again adds nothing
    assert WaitlistEntry.objects.filter(clinic=clinic).count() == 3
