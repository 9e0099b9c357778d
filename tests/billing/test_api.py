"""The billing API follows the billing pages' rules: the same actions, roles, clinic scope and
access log; refusals are a 409 naming the rule, never a 500."""

import datetime
import json
from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.billing import actions
from imsclinic.billing.models import Coverage, Invoice, Payment
from imsclinic.gateway import actions as token_actions
from imsclinic.scheduling.models import Status
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/billing"


def post(client, url, body=None, **headers):
    return client.post(
        BASE + url, data=json.dumps(body or {}), content_type="application/json", **headers
    )


def get(client, url, **params):
    return client.get(BASE + url, params)


def test_front_desk_bills_a_completed_visit_end_to_end(client, bob, completed_visit, patient):
    client.force_login(bob)
    created = post(client, "/invoices", {"appointment": str(completed_visit.uuid)})
    assert created.status_code == 201, created.content
    invoice = created.json()
    assert invoice["status"] == "draft" and invoice["total"] == "95.00"
    assert invoice["lines"][0]["description"] == "IMS treatment"
    uuid = invoice["uuid"]

    coverage = post(
        client,
        f"/patients/{patient.uuid}/coverage",
        {"payer_kind": "extended_health", "insurer_name": "Sun Life", "member_id": "M-1"},
    )
    assert coverage.status_code == 201, coverage.content
    split = post(
        client,
        f"/invoices/{uuid}/shares",
        {"coverage": coverage.json()["uuid"], "amount": "60"},
    )
    assert split.json()["patient_portion"] == "35.00"

    issued = post(client, f"/invoices/{uuid}/issue")
    assert issued.status_code == 200 and issued.json()["number"] == 1
    paid = post(
        client, f"/invoices/{uuid}/payments", {"method": "debit", "amount": "35", "reference": "T1"}
    )
    assert paid.status_code == 201 and paid.json()["amount"] == "35.00"
    assert paid.json()["currency"] == "CAD"

    claim = post(client, f"/invoices/{uuid}/claims", {"coverage": coverage.json()["uuid"]})
    assert claim.status_code == 201 and claim.json()["amount_claimed"] == "60.00"
    decided = post(client, f"/claims/{claim.json()['uuid']}/decision", {"status": "paid"})
    assert decided.status_code == 200 and decided.json()["status"] == "paid"

    detail = get(client, f"/invoices/{uuid}").json()
    assert (detail["amount_paid"], detail["balance_due"]) == ("95.00", "0.00")
    day = Payment.objects.filter(invoice__uuid=uuid).first().received_on.isoformat()
    closeout = get(client, "/reports/close-out", day=day).json()
    assert closeout["total"] == "95.00" and closeout["reconciled"] is True
    assert {m["method"]: m["amount"] for m in closeout["methods"]} == {
        "debit": "35.00",
        "insurer": "60.00",
    }


def test_a_refused_rule_is_a_409_with_its_message_and_nothing_saved(client, bob, issued):
    client.force_login(bob)
    invoice = issued()
    response = post(
        client,
        f"/invoices/{invoice.uuid}/lines",
        {"description": "Tape", "unit_price": "5"},
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Invoice 000001 is issued and cannot change")
    assert invoice.lines.count() == 1
    card = post(
        client,
        f"/invoices/{invoice.uuid}/payments",
        {"method": "credit_card", "amount": "95", "reference": "4111111111111111"},
    )
    assert card.status_code == 409 and card.json()["field"] == "reference"
    assert not Payment.objects.exists()


def test_void_credit_note_and_refund(client, olivia, bob, issued):
    client.force_login(olivia)
    first, second = issued("95.00"), issued("50.00")
    void = post(client, f"/invoices/{first.uuid}/void", {"reason": "Billed twice"})
    assert void.json()["status"] == "void" and void.json()["void_reason"] == "Billed twice"
    note = post(client, f"/invoices/{second.uuid}/credit-notes", {"amount": "20", "reason": "Fee"})
    assert note.status_code == 201
    assert (note.json()["kind"], note.json()["total"]) == ("credit_note", "-20.00")
    paid = post(client, f"/invoices/{second.uuid}/payments", {"method": "cash", "amount": "30"})
    refund = post(
        client, f"/payments/{paid.json()['uuid']}/refunds", {"amount": "10", "reason": "Goodwill"}
    )
    assert refund.status_code == 201 and refund.json()["amount"] == "-10.00"
    assert [
        r["amount"] for r in get(client, f"/payments/{paid.json()['uuid']}/refunds").json()
    ] == ["-10.00"]
    assert get(client, f"/invoices/{second.uuid}").json()["balance_due"] == "10.00"


def test_create_by_hand_and_lists(client, bob, patient, issued):
    client.force_login(bob)
    issued()
    made = post(
        client,
        "/invoices",
        {
            "patient": str(patient.uuid),
            "lines": [
                {"description": "Assessment", "unit_price": "120"},
                {"description": "Tape", "unit_price": "10", "tax_code": "taxable"},
            ],
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["subtotal"] == "130.00"
    listed = get(client, "/invoices", status="draft")
    assert listed.json()["count"] == 1 and listed.json()["items"][0]["uuid"] == made.json()["uuid"]
    assert get(client, "/invoices", patient=str(patient.uuid)).json()["count"] == 2
    both = post(
        client, "/invoices", {"patient": str(patient.uuid), "appointment": str(patient.uuid)}
    )
    assert both.status_code == 422


def test_reads_are_logged_once_and_audited_writes_once(client, bob, issued, patient):
    client.force_login(bob)
    invoice = issued()
    before = ChartAccess.objects.filter(patient_uuid=patient.uuid).count()
    assert get(client, f"/invoices/{invoice.uuid}").status_code == 200
    assert ChartAccess.objects.filter(patient_uuid=patient.uuid).count() == before + 1
    events = AuditEvent.objects.count()
    post(client, f"/invoices/{invoice.uuid}/payments", {"method": "cash", "amount": "95"})
    assert AuditEvent.objects.count() == events + 1


def test_practitioners_see_their_own_revenue_only(client, alice, olivia, bob, completed_visit):
    invoice = actions.invoice_appointment(appointment=completed_visit, by=bob)
    actions.issue_invoice(invoice=invoice, by=bob)
    other = AppointmentFactory(
        clinic=completed_visit.clinic,
        patient=completed_visit.patient,
        practitioner=olivia,
        service=completed_visit.service,
        starts_at=completed_visit.starts_at + datetime.timedelta(days=1),
        status=Status.COMPLETED,
    )
    actions.issue_invoice(invoice=actions.invoice_appointment(appointment=other, by=bob), by=bob)

    client.force_login(alice)
    assert get(client, f"/invoices/{invoice.uuid}").status_code == 403
    assert get(client, "/invoices").status_code == 403
    own = get(client, "/reports/revenue", year=2026).json()
    assert own["own_only"] is True and own["total"] == "95.00"
    assert get(client, "/reports/close-out").status_code == 403
    client.force_login(olivia)
    everyone = get(client, "/reports/revenue", year=2026).json()
    assert everyone["own_only"] is False and everyone["total"] == "190.00"
    client.force_login(bob)
    assert get(client, "/reports/revenue").status_code == 403


def test_another_clinics_invoice_is_a_404(client, carol, issued):
    invoice = issued()
    client.force_login(carol)
    assert get(client, f"/invoices/{invoice.uuid}").status_code == 404
    assert post(client, f"/invoices/{invoice.uuid}/void", {"reason": "x"}).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"


def test_integration_token_needs_the_write_scope(client, clinic_a, olivia, issued):
    invoice = issued()
    _, read_only = token_actions.create_integration_token(
        clinic=clinic_a, by=olivia, name="Accountant", scopes=["read"]
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {read_only}"}
    assert client.get(f"{BASE}/invoices/{invoice.uuid}", **auth).status_code == 200
    response = post(
        client, f"/invoices/{invoice.uuid}/payments", {"method": "cash", "amount": "1"}, **auth
    )
    assert response.status_code == 403 and "write" in response.json()["detail"]


def test_money_is_a_decimal_string_and_malformed_amounts_are_422(client, bob, issued):
    client.force_login(bob)
    invoice = issued("95.00")
    for amount in ("1e3", "-5", "95.001", "NaN"):
        response = post(
            client, f"/invoices/{invoice.uuid}/payments", {"method": "cash", "amount": amount}
        )
        assert response.status_code == 422, amount
    response = post(client, f"/invoices/{invoice.uuid}/payments", {"method": "cash", "amount": "0"})
    assert response.status_code == 409
    assert Payment.objects.count() == 0
    assert Decimal(get(client, f"/invoices/{invoice.uuid}").json()["total"]) == Decimal("95.00")


def test_coverage_rules_are_the_actions(client, bob, patient):
    client.force_login(bob)
    response = post(
        client,
        f"/patients/{patient.uuid}/coverage",
        {"payer_kind": "workers_comp", "insurer_name": "WCB Alberta"},
    )
    assert response.status_code == 409 and response.json()["field"] == "claim_number"
    assert not Coverage.objects.exists()
    assert get(client, f"/patients/{patient.uuid}/coverage").json() == []
