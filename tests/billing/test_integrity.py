"""What holds whatever the application does: issued invoices are locked in the database itself,
numbers have no gaps under concurrent issuing, and money arithmetic never drifts."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsclinic.billing import actions
from imsclinic.billing.models import Invoice, InvoiceLine, Payment, PaymentMethod, money
from tests.factories import PatientFactory

# One error convention with the clinical locks (audit/triggers.py): an IntegrityError on both
# databases (SQLite RAISE(ABORT), PostgreSQL SQLSTATE 23000).
DATABASE_REFUSALS = IntegrityError


def _raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET total = 1, subtotal = 1 WHERE id = %s",
        "UPDATE billing_invoice SET patient_portion = 0 WHERE id = %s",
        "UPDATE billing_invoice SET number = 99 WHERE id = %s",
        "UPDATE billing_invoice SET status = 'draft', number = NULL, issued_at = NULL "
        "WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET line_total = 1 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
    ],
)
def test_raw_sql_cannot_change_an_issued_invoice(issued, sql):
    invoice = issued("95.00")
    with pytest.raises(DATABASE_REFUSALS, match="issued invoices are locked"):
        _raw(sql, [invoice.pk])
    invoice.refresh_from_db()
    assert (invoice.total, invoice.number, invoice.lines.count()) == (Decimal("95.00"), 1, 1)


@pytest.mark.django_db
def test_raw_sql_cannot_add_a_line_to_an_issued_invoice(issued):
    invoice = issued("95.00")
    with pytest.raises(DATABASE_REFUSALS, match="issued invoices are locked"):
        _raw(
            "INSERT INTO billing_invoiceline (invoice_id, position, description, quantity, "
            "unit_price, discount, tax_code, tax_rate, line_total, tax_amount) "
            "VALUES (%s, 9, 'Sneaked in', 1, 5, 0, 'exempt', 0, 5, 0)",
            [invoice.pk],
        )
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


@pytest.mark.django_db
def test_raw_sql_cannot_rewrite_or_remove_a_payment(bob, issued):
    payment = actions.record_payment(
        invoice=issued(), by=bob, method=PaymentMethod.CASH, amount="95"
    )
    for sql in (
        "UPDATE billing_payment SET amount = 1 WHERE id = %s",
        "DELETE FROM billing_payment WHERE id = %s",
    ):
        with pytest.raises(DATABASE_REFUSALS, match="append-only"):
            _raw(sql, [payment.pk])
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("95.00")


@pytest.mark.django_db
def test_a_void_changes_only_status_time_and_reason(bob, issued):
    invoice = issued()
    actions.void_invoice(invoice=invoice, by=bob, reason="Billed twice")
    with pytest.raises(DATABASE_REFUSALS, match="issued invoices are locked"):
        _raw(
            "UPDATE billing_invoice SET status = 'issued', voided_at = NULL WHERE id = %s",
            [invoice.pk],
        )


@pytest.mark.django_db
def test_a_reason_alone_is_no_void(issued):
    invoice = issued()
    with pytest.raises(DATABASE_REFUSALS):
        _raw("UPDATE billing_invoice SET void_reason = 'quietly' WHERE id = %s", [invoice.pk])
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason) == ("issued", "")


def test_billing_registers_with_the_one_generic_lock_mechanism():
    from imsclinic.audit.triggers import LOCKED_TABLES

    assert {
        "billing_invoice",
        "billing_invoiceline",
        "billing_invoiceshare",
        "billing_payment",
    } <= set(LOCKED_TABLES)
    assert LOCKED_TABLES["billing_invoiceline"].refuse_insert
    assert LOCKED_TABLES["billing_payment"].signed_column is None


@pytest.mark.django_db
def test_drafts_stay_editable_in_the_database(bob, patient):
    draft = actions.create_invoice(
        patient=patient, by=bob, lines=[{"description": "IMS", "unit_price": "95"}]
    )
    _raw(
        "UPDATE billing_invoiceline SET description = 'IMS treatment' WHERE invoice_id = %s",
        [draft.pk],
    )
    assert draft.lines.get().description == "IMS treatment"


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_numbers_without_gaps_or_duplicates(clinic_a, bob):
    workers = 6
    patients = [PatientFactory(clinic=clinic_a) for _ in range(workers)]
    drafts = [
        actions.create_invoice(
            patient=p, by=bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
        )
        for p in patients
    ]
    barrier = threading.Barrier(workers)
    outcomes, lock = [], threading.Lock()

    def issue(draft):
        try:
            barrier.wait(timeout=10)
            result = actions.issue_invoice(invoice=draft, by=bob).number
        except Exception as exc:  # surfaced in the assertion below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == list(range(1, workers + 1)), (connection.vendor, outcomes)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, workers + 1))


def _random_lines(rng, count):
    for _ in range(count):
        yield {
            "unit_price": Decimal(rng.randint(0, 200_000)) / 100,
            "quantity": rng.randint(1, 5),
            "taxable": rng.random() < 0.3,
            "discount_percent": rng.choice([0, 0, 0, 5, 10, 15, 33, 50, 100]),
        }


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32), st.sampled_from(["AB", "BC", "ON", "QC", "NS"]))
def test_money_never_drifts_over_ten_thousand_random_lines(seed, province):
    """Cents rounded per line, summed as Decimal, equal the same sums done in integer cents."""
    from imsclinic.billing import taxes

    rate = taxes.rate_for(province)
    total_cents = 0
    subtotal = tax_total = Decimal("0.00")
    # Hypothesis picks the seed and shrinks it; the 10,000 lines come from a plain PRNG, since
    # recording 40,000 draws per example through Hypothesis would take minutes.
    for item in _random_lines(random.Random(seed), 10_000):
        gross = money(item["unit_price"] * item["quantity"])
        discount = money(gross * item["discount_percent"] / 100)
        net = gross - discount
        tax = money(net * rate / 100) if item["taxable"] else Decimal("0.00")
        subtotal += net
        tax_total += tax
        # The same in integer cents, rounding half up by hand (rate in thousandths of a percent).
        gross_c = int(item["unit_price"] * 100) * item["quantity"]
        discount_c = (gross_c * item["discount_percent"] * 2 + 100) // 200
        net_c = gross_c - discount_c
        tax_c = (net_c * int(rate * 1000) * 2 + 100_000) // 200_000 if item["taxable"] else 0
        total_cents += net_c + tax_c
    total = subtotal + tax_total
    assert total == Decimal(total_cents) / 100
    assert total.as_tuple().exponent == -2
