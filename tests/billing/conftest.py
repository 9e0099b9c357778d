import datetime
from decimal import Decimal

import pytest

from imsclinic.billing import actions
from imsclinic.scheduling.models import Status
from tests.factories import AppointmentFactory, PatientFactory, ServiceFactory


@pytest.fixture
def patient(clinic_a):
    return PatientFactory(clinic=clinic_a, given_name="Ines", family_name="Marchetti")


@pytest.fixture
def treatment(clinic_a):
    return ServiceFactory(clinic=clinic_a, name="IMS treatment", price=Decimal("95.00"))


@pytest.fixture
def completed_visit(clinic_a, alice, patient, treatment):
    start = datetime.datetime(2026, 11, 2, 16, 0, tzinfo=datetime.UTC)
    return AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=patient,
        kind=treatment.kind,
        service=treatment,
        starts_at=start,
        status=Status.COMPLETED,
    )


@pytest.fixture
def issued(bob, patient):
    """An issued invoice of 95.00 (one exempt treatment line)."""

    def make(amount="95.00", **line):
        invoice = actions.create_invoice(
            patient=patient,
            by=bob,
            lines=[{"description": "IMS treatment", "unit_price": amount, **line}],
        )
        return actions.issue_invoice(invoice=invoice, by=bob)

    return make
