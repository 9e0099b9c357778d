"""Owner reports: the daily close-out reconciles to the invoices to the cent, receivables fall in
the right ageing buckets, practitioners see only their own revenue, missed-visit fees are
counted, and each page has its SVG chart and a formula-guarded CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine

from imsclinic.billing import actions, reports
from imsclinic.billing.models import age_bucket
from imsclinic.scheduling.models import Status
from tests.conftest import login
from tests.factories import AppointmentFactory, CoverageFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)


def bill(by, patient, amount, *, practitioner=None, service_date=DAY):
    invoice = actions.create_invoice(
        patient=patient,
        by=by,
        practitioner=practitioner,
        service_date=service_date,
        lines=[{"description": "IMS treatment", "unit_price": amount}],
    )
    return actions.issue_invoice(invoice=invoice, by=by)


def test_close_out_reconciles_payments_by_method_to_the_invoices_to_the_cent(bob, clinic_a):
    ines = PatientFactory(clinic=clinic_a)
    raj = PatientFactory(clinic=clinic_a)
    first, second, third = (
        bill(bob, ines, "95.00"),
        bill(bob, raj, "120.33"),
        bill(bob, raj, "0.01"),
    )
    coverage = CoverageFactory(patient=raj)
    pay = actions.record_payment
    # 1.00 the day before is not today's money; today's 100.00 debit leaves 6.00 as credit.
    pay(
        invoice=first, by=bob, method="cash", amount="1.00", received_on=DAY - datetime.timedelta(1)
    )
    pay(invoice=first, by=bob, method="debit", amount="100.00", received_on=DAY)
    pay(
        invoice=second, by=bob, method="insurer", amount="80.33", coverage=coverage, received_on=DAY
    )
    cash = pay(invoice=second, by=bob, method="cash", amount="40.00", received_on=DAY)
    pay(invoice=third, by=bob, method="cash", amount="0.01", received_on=DAY)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 18, tzinfo=clinic_a.tz)):
        actions.refund_payment(payment=cash, by=bob, amount="0.50", reason="Overcharged")

    report = reports.closeout(clinic_a, DAY)
    by_method = {method: amount for method, amount in report.rows}
    assert by_method == {
        "Cash": Decimal("39.51"),  # 40.00 + 0.01 - 0.50 refunded
        "Debit card": Decimal("100.00"),
        "Insurer direct payment": Decimal("80.33"),
    }
    assert report.totals == ["Total", Decimal("219.84")]
    applied = {number: amount for number, _, amount in report.detail_rows}
    assert applied == {
        first.display_number: Decimal("94.00"),
        second.display_number: Decimal("119.83"),
        third.display_number: Decimal("0.01"),
    }
    assert sum(applied.values()) + Decimal("6.00") == Decimal("219.84")
    assert report.reconciled is True
    assert "Net change in patients' account credit: 6.00" in report.notes


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_age_bucket_edges(days, bucket):
    assert age_bucket(DAY, DAY + datetime.timedelta(days=days)) == bucket


def test_receivables_age_from_the_local_issue_day_and_skip_what_is_paid(bob, clinic_a):
    patient = PatientFactory(clinic=clinic_a)

    def issued_on(day, amount):
        # 23:30 in Calgary is already the next day in UTC: the age counts the clinic's day.
        at = datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=clinic_a.tz)
        with time_machine.travel(at, tick=False):
            return bill(bob, patient, amount)

    issued_on(datetime.date(2026, 10, 21), "10.00")  # 30 days on Nov 20
    issued_on(datetime.date(2026, 10, 20), "20.00")  # 31 days
    issued_on(datetime.date(2026, 8, 22), "40.00")  # 90 days
    issued_on(datetime.date(2026, 8, 21), "80.00")  # 91 days
    part_paid = issued_on(datetime.date(2026, 11, 1), "50.00")
    paid = issued_on(datetime.date(2026, 11, 2), "70.00")
    actions.record_payment(invoice=part_paid, by=bob, method="cash", amount="45.00")
    actions.record_payment(invoice=paid, by=bob, method="cash", amount="70.00")

    report = reports.ageing(clinic_a, DAY)
    assert report.buckets == {
        "0-30": Decimal("15.00"),
        "31-60": Decimal("20.00"),
        "61-90": Decimal("40.00"),
        "90+": Decimal("80.00"),
    }
    assert paid.display_number not in [row[0] for row in report.rows]


def test_practitioners_see_only_their_own_revenue(client, bob, alice, olivia, clinic_a):
    from imsclinic.accounts.models import Role
    from tests.factories import MembershipFactory

    other = UserFactory(first_name="Omar", last_name="Other")
    MembershipFactory(user=other, clinic=clinic_a, role=Role.PRACTITIONER)
    patient = PatientFactory(clinic=clinic_a)
    bill(bob, patient, "95.00", practitioner=alice)
    bill(bob, patient, "310.00", practitioner=other)
    login(client, alice)
    page = client.get("/billing/reports/revenue/?year=2026").content.decode()
    assert "95.00" in page and "310.00" not in page and "Omar" not in page
    assert "<svg" in page and 'role="img"' in page
    login(client, olivia)
    page = client.get("/billing/reports/revenue/?year=2026").content.decode()
    assert "95.00" in page and "310.00" in page and "405.00" in page
    login(client, bob)
    assert client.get("/billing/reports/revenue/").status_code == 403
    assert client.get("/billing/reports/close-out/").status_code == 200


def test_report_csv_guards_formulas_and_matches_the_page(client, bob, olivia, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_name="=HYPERLINK(1)", family_name="X")
    actions.record_payment(
        invoice=bill(bob, patient, "12.50"), by=bob, method="cash", amount="2.50", received_on=DAY
    )
    login(client, olivia)
    response = client.get("/billing/reports/receivables.csv?day=2026-11-20")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Invoice", "Patient", "Issued", "Age (days)", "Bucket", "Owed"]
    assert rows[1][1].startswith("'=HYPERLINK")
    assert rows[1][-1] == "10.00" and rows[-1][-1] == "10.00"


def test_a_bad_period_gets_a_message_not_a_500(client, olivia):
    login(client, olivia)
    response = client.get("/billing/reports/close-out/?day=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_missed_visit_fees_are_counted_with_what_was_paid(bob, alice, clinic_a):
    clinic_a.policies = {"no_show_fee": "50.00"}
    clinic_a.save(update_fields=["policies"])
    missed = AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        starts_at=datetime.datetime(2026, 11, 3, 16, tzinfo=datetime.UTC),
        status=Status.NO_SHOW,
    )
    fee = actions.invoice_missed_appointment(appointment=missed, by=bob)
    fee = actions.issue_invoice(invoice=fee, by=bob)
    actions.record_payment(invoice=fee, by=bob, method="cash", amount="20.00")
    report = reports.missed_visit_fees(clinic_a, 2026)
    assert report.bars == [("No-show", Decimal("50.00"))]
    assert report.totals[-2:] == [Decimal("50.00"), Decimal("20.00")]
