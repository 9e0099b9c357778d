"""The accountant's CSV: one download of invoices and payments over a date range, whose totals
reconcile with the daily close-out to the cent, with no clinical data or patient names."""

import csv
import io
from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.billing import actions, reports
from imsclinic.billing.exports import COLUMNS
from imsclinic.billing.models import PaymentMethod

pytestmark = pytest.mark.django_db
URL = "/billing/reports/accountant.csv"


@pytest.fixture
def busy_day(bob, patient, issued):
    """A day with cash, debit, an insurer's share, an overpayment kept as credit, a refund, a
    credit note and a void."""
    first, second, third, fourth = (
        issued("95.00"),
        issued("120.00"),
        issued("33.33", tax_code="taxable"),
        issued("10.00"),
    )
    coverage = actions.add_coverage(
        patient=patient,
        by=bob,
        payer_kind="extended_health",
        insurer_name="Sun Life",
        member_id="M-77",
    )
    actions.record_payment(invoice=first, by=bob, method=PaymentMethod.CASH, amount="100.00")
    actions.record_payment(
        invoice=second, by=bob, method=PaymentMethod.INSURER, amount="80.00", coverage=coverage
    )
    debit = actions.record_payment(
        invoice=second, by=bob, method=PaymentMethod.DEBIT, amount="40.00", reference="T-1"
    )
    actions.refund_payment(payment=debit, by=bob, amount="12.34", reason="Patient was unhappy")
    actions.issue_credit_note(invoice=third, by=bob, amount="3.33", reason="Rounding courtesy")
    actions.void_invoice(invoice=fourth, by=bob, reason="Billed twice")
    return patient.clinic.today()


def _download(client, user, start, end):
    client.force_login(user)
    return client.get(URL, {"start": start.isoformat(), "end": end.isoformat()})


def _parse(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def test_totals_reconcile_with_the_close_out_to_the_cent(client, olivia, clinic_a, busy_day):
    response = _download(client, olivia, busy_day, busy_day)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = _parse(response)
    assert rows[0] == COLUMNS
    amount, currency = COLUMNS.index("Amount"), COLUMNS.index("Currency")
    totals = {row[0]: row for row in rows if row[0].startswith("Total")}
    closeout = reports.closeout_summary(clinic_a, busy_day)
    assert Decimal(totals["Total received"][amount]) == closeout.total
    for method, label, value in closeout.methods:
        assert Decimal(totals[f"Total received: {label}"][amount]) == value, method
    payments = [r for r in rows if r[0] in ("Payment", "Refund", "Account credit")]
    assert sum(Decimal(r[amount]) for r in payments) == closeout.total
    assert {r[currency] for r in rows[1:]} == {"CAD"}
    # Money is written with a point and two places, never a float's digits.
    assert all(
        r[amount] == "" or r[amount].lstrip("-").replace(".", "").isdigit() for r in rows[1:]
    )
    assert all(r[amount] == "" or len(r[amount].split(".")[1]) == 2 for r in rows[1:])


def test_invoiced_total_is_issued_invoices_less_credit_notes(client, olivia, busy_day):
    rows = _parse(_download(client, olivia, busy_day, busy_day))
    total = COLUMNS.index("Total")
    invoiced = next(r for r in rows if r[0].startswith("Total invoiced"))
    # 95 + 120 + (33.33 + GST 5 % = 1.67) - 3.33; the void 10.00 counts for nothing.
    assert Decimal(invoiced[total]) == Decimal("95.00") + Decimal("120.00") + Decimal(
        "35.00"
    ) - Decimal("3.33")
    statuses = {r[1]: r[COLUMNS.index("Status")] for r in rows if r[0] == "Invoice"}
    assert statuses["000004"] == "Void"


def test_no_clinical_data_or_names(client, olivia, patient, busy_day):
    text = _download(client, olivia, busy_day, busy_day).content.decode("utf-8")
    assert patient.family_name not in text and patient.given_name not in text
    assert "unhappy" not in text  # a refund's free-text reason stays out
    assert "T-1" in text  # the terminal reference is what the accountant matches


def test_only_clinic_admins_and_one_audit_event(client, bob, alice, olivia, busy_day):
    assert _download(client, bob, busy_day, busy_day).status_code == 403
    assert _download(client, alice, busy_day, busy_day).status_code == 403
    before = AuditEvent.objects.filter(action="billing.export.accountant").count()
    _download(client, olivia, busy_day, busy_day)
    assert AuditEvent.objects.filter(action="billing.export.accountant").count() == before + 1


def test_a_bad_range_is_a_clear_400(client, olivia, busy_day):
    response = _download(client, olivia, busy_day, busy_day.replace(year=busy_day.year - 1))
    assert response.status_code == 400
    assert "The end date comes before the start date." in response.content.decode()
    client.force_login(olivia)
    assert client.get(URL, {"start": "not a date"}).status_code == 400


def test_the_reports_page_offers_it_to_clinic_admins(client, olivia, bob):
    client.force_login(olivia)
    assert "Accountant export" in client.get("/billing/reports/").content.decode()
    client.force_login(bob)
    assert "Accountant export" not in client.get("/billing/reports/").content.decode()
