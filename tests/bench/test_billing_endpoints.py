"""The benchmark's billing endpoints (issue 16): invoice creation through the API and the
close-out page of a day with payments, resolved against the routes this build serves."""

import pytest

from imsclinic.bench.endpoints import Fixture, resolve
from imsclinic.bench.management.commands import bench_setup
from imsclinic.billing import reports
from imsclinic.billing.models import Payment


def _fixture(**extra):
    return Fixture(
        patient_uuid="00000000-0000-0000-0000-000000000001",
        course_uuid=None,
        search="smi",
        cookie="sessionid=x",
        token="t",
        extra=extra,
    )


def test_invoice_creation_and_close_out_are_in_the_mix():
    endpoints = {
        e.key: e for e in resolve(_fixture(writer_uuid="w-uuid", closeout_day="2026-11-25"))
    }
    create, issue = endpoints["invoice_create"].steps
    assert (create["method"], create["path"], create["expect"]) == (
        "POST",
        "/api/v1/billing/invoices",
        [201],
    )
    assert create["body"]["patient"] == "w-uuid" and create["capture"] == "uuid"
    assert issue["path"] == "/api/v1/billing/invoices/{captured}/issue"
    assert endpoints["closeout"].steps[0]["path"] == "/billing/reports/close-out/?day=2026-11-25"


def test_without_a_writer_or_day_they_are_not_available():
    endpoints = {e.key: e for e in resolve(_fixture())}
    assert endpoints["invoice_create"].unavailable == "no billing API"
    assert endpoints["closeout"].unavailable == "no close-out page or day"


@pytest.mark.django_db
def test_setup_fills_the_close_out_day_once(monkeypatch, clinic_a, olivia):
    monkeypatch.setattr(bench_setup, "CLOSEOUT_INVOICES", 3)
    from tests.factories import PatientFactory

    for _ in range(3):
        PatientFactory(clinic=clinic_a)
    fixture = _fixture()
    bench_setup._closeout_day(fixture, clinic_a, olivia)
    bench_setup._closeout_day(fixture, clinic_a, olivia)
    day = fixture.extra["closeout_day"]
    assert Payment.objects.filter(clinic=clinic_a, received_on=day).count() == 3
    summary = reports.closeout_summary(clinic_a, Payment.objects.first().received_on)
    assert summary.reconciled and str(summary.total) == "285.00"
