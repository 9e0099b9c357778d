"""FHIR R4 billing (issue 16): Coverage, Invoice, ChargeItem, PaymentReconciliation, Claim,
ClaimResponse and the payers' Organizations, in $everything, by id, in the portal download;
validated with the R4B classes, amounts to the cent, statuses mapped, reads scoped and logged."""

from decimal import Decimal

import pytest

from imsclinic.audit.models import ChartAccess
from imsclinic.billing import actions
from imsclinic.billing.models import Invoice
from imsclinic.gateway import actions as token_actions
from imsclinic.interop.fhir.common import fhir_class
from tests.interop.conftest import bearer, fhir_json

pytestmark = pytest.mark.django_db

BILLING_TYPES = {
    "Coverage",
    "Invoice",
    "ChargeItem",
    "PaymentReconciliation",
    "Claim",
    "ClaimResponse",
}


def token(user):
    return token_actions.create_personal_token(user=user, by=user, name="t")[1]


def everything(client, patient, raw):
    response = client.get(f"/api/v1/fhir/Patient/{patient.uuid}/$everything", **bearer(raw))
    assert response.status_code == 200, response.content
    return fhir_json(response)


def resources(bundle) -> dict:
    """(type, id) -> resource."""
    return {
        (e["resource"]["resourceType"], e["resource"]["id"]): e["resource"] for e in bundle["entry"]
    }


def of_type(bundle, kind) -> dict:
    return {rid: r for (rtype, rid), r in resources(bundle).items() if rtype == kind}


def references(value):
    """Every "Type/id" reference anywhere in a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def cents(money: dict) -> Decimal:
    """A FHIR Money's value read back as a client would, to the cent."""
    return Decimal(str(money["value"])).quantize(Decimal("0.01"))


@pytest.fixture
def admin_bundle(client, billing_record, patient_a, olivia):
    return everything(client, patient_a, token(olivia))


def test_everything_for_a_biller_has_every_billing_type_valid_and_resolvable(admin_bundle):
    found = resources(admin_bundle)
    assert BILLING_TYPES <= {kind for kind, _ in found}
    fhir_class("Bundle").model_validate(admin_bundle)
    for resource in found.values():
        parsed = fhir_class(resource["resourceType"]).model_validate(resource)
        # Round trip: the R4B class serialises exactly what we exported.
        assert parsed.model_dump(mode="json", exclude_none=True) == resource
        for reference in references(resource):
            kind, _, rid = reference.partition("/")
            assert (kind, rid) in found, f"{resource['resourceType']} -> {reference}"
    payers = {r["name"] for r in of_type(admin_bundle, "Organization").values()}
    assert {"Sun Life", "WCB Alberta"} <= payers  # "Sun  Life" as typed, spaces collapsed


def test_invoice_statuses_and_credit_notes(admin_bundle, billing_record):
    invoices = of_type(admin_bundle, "Invoice")
    status = {
        key: invoices[str(billing_record[key].uuid)]["status"]
        for key in billing_record
        if isinstance(billing_record[key], Invoice)
    }
    assert status == {
        "split": "balanced",  # paid by debit and by the insurer
        "overpaid": "issued",  # 95 paid, 20 refunded: 20 owed
        "credited": "issued",  # 25 credited of 95
        "note": "balanced",
        "void": "cancelled",
        "draft": "draft",
    }
    void = invoices[str(billing_record["void"].uuid)]
    assert void["cancelledReason"] == "Booked twice"
    note = invoices[str(billing_record["note"].uuid)]
    assert note["type"]["coding"][0]["code"] == "credit-note"
    assert note["extension"][0]["valueReference"]["reference"] == (
        f"Invoice/{billing_record['credited'].uuid}"
    )
    assert cents(note["totalGross"]) == Decimal("-25.00")
    assert "identifier" not in invoices[str(billing_record["draft"].uuid)]
    numbers = {i["identifier"][0]["value"] for i in invoices.values() if "identifier" in i}
    assert numbers == {f"{n:06d}" for n in range(1, 6)}
    charges = of_type(admin_bundle, "ChargeItem")
    for key, expected in (("split", "billed"), ("void", "aborted"), ("draft", "billable")):
        assert charges[f"{billing_record[key].uuid}-l0"]["status"] == expected


def test_amounts_are_the_invoices_to_the_cent(admin_bundle, billing_record, clinic_a):
    currency = clinic_a.policy("currency", "CAD")
    invoices = of_type(admin_bundle, "Invoice")
    for invoice in Invoice.objects.filter(patient=billing_record["split"].patient):
        resource = invoices[str(invoice.uuid)]
        assert (cents(resource["totalNet"]), cents(resource["totalGross"])) == (
            invoice.subtotal,
            invoice.total,
        )
        lines = list(invoice.lines.all())
        assert len(resource["lineItem"]) == len(lines)
        for item, line in zip(resource["lineItem"], lines, strict=True):
            parts = sum(cents(c["amount"]) for c in item["priceComponent"])
            assert parts == line.line_total + line.tax_amount
            assert {c["amount"]["currency"] for c in item["priceComponent"]} == {currency}
        amounts = {
            c["code"]["coding"][0]["code"]: cents(c["amount"])
            for c in resource.get("totalPriceComponent", [])
        }
        if invoice.status == "issued" and invoice.kind == "invoice":
            assert amounts["balance-due"] == actions.balance_due(invoice)
            assert amounts["paid"] == actions.amount_paid(invoice)
            assert amounts["credited"] == actions.credits_applied(invoice)
            assert amounts["patient-portion"] == invoice.patient_portion
    split = invoices[str(billing_record["split"].uuid)]
    share = split["totalPriceComponent"][0]
    assert share["code"]["coding"][0]["code"] == "payer-share"
    assert cents(share["amount"]) == Decimal("72.00")
    assert share["extension"][0]["valueReference"]["reference"] == (
        f"Coverage/{billing_record['plan'].uuid}"
    )
    tape = split["lineItem"][1]["priceComponent"]
    assert [c["type"] for c in tape] == ["base", "tax"]
    assert tape[1]["code"]["coding"][0]["code"] == "taxable" and tape[1]["factor"] == 0.05


def test_payments_refunds_credit_coverage_and_the_claim(admin_bundle, billing_record):
    payments = of_type(admin_bundle, "PaymentReconciliation")

    def detail(key):
        return payments[str(billing_record[key].uuid)]

    debit = detail("debit")
    assert debit["detail"][0]["type"]["coding"][0]["code"] == "payment"
    assert debit["paymentIdentifier"]["value"] == "T-7781"
    assert {c["code"] for c in debit["extension"][0]["valueCodeableConcept"]["coding"]} == {
        "debit",
        "DEBC",
    }
    refund = detail("refund")
    assert cents(refund["paymentAmount"]) == Decimal("-20.00")
    assert refund["detail"][0]["type"]["coding"][0]["code"] == "adjustment"
    assert refund["detail"][0]["predecessor"]["value"] == f"urn:uuid:{billing_record['cash'].uuid}"
    assert "Charged twice" in refund["disposition"] and "paymentIdentifier" not in refund
    advances = [
        p for p in payments.values() if p["detail"][0]["type"]["coding"][0]["code"] == "advance"
    ]
    assert [cents(p["paymentAmount"]) for p in advances] == [Decimal("5.00")]  # the overpayment
    insurer = [p for p in payments.values() if "paymentIssuer" in p]
    assert len(insurer) == 1 and insurer[0]["paymentIssuer"]["display"] == "Sun Life"

    coverages = of_type(admin_bundle, "Coverage")
    plan = coverages[str(billing_record["plan"].uuid)]
    assert plan["type"]["coding"][0]["code"] == "EHCPOL"
    assert plan["relationship"]["coding"][0]["code"] == "spouse"
    assert plan["subscriber"] == {"display": "Sam Nguyen"} and plan["subscriberId"] == "M0042"
    assert plan["class"][0]["value"] == "PL-20431"
    wcb = coverages[str(billing_record["wcb"].uuid)]
    assert wcb["type"]["coding"][0]["code"] == "WCBPOL"
    assert wcb["identifier"][0]["value"] == "W1234567"

    claim = of_type(admin_bundle, "Claim")[str(billing_record["claim"].uuid)]
    assert (
        claim["insurance"][0]["coverage"]["reference"] == f"Coverage/{billing_record['plan'].uuid}"
    )
    assert cents(claim["total"]) == Decimal("72.00")
    answer = of_type(admin_bundle, "ClaimResponse")[f"{billing_record['claim'].uuid}-response"]
    assert answer["disposition"] == "Paid" and cents(answer["payment"]["amount"]) == Decimal(
        "72.00"
    )


def test_denied_and_pending_claims(client, billing_record, patient_a, olivia, bob):
    invoice = billing_record["overpaid"]
    denied = actions.submit_claim(
        invoice=invoice, coverage=billing_record["wcb"], by=bob, amount=Decimal("10.00")
    )
    actions.decide_claim(claim=denied, by=bob, status="denied", reason="Not work related")
    bundle = everything(client, patient_a, token(olivia))
    answer = of_type(bundle, "ClaimResponse")[f"{denied.uuid}-response"]
    assert answer["disposition"] == "Denied: Not work related" and "payment" not in answer
    actions.decide_claim(claim=denied, by=bob, status="resubmitted")
    bundle = everything(client, patient_a, token(olivia))
    assert str(denied.uuid) in of_type(bundle, "Claim")
    assert f"{denied.uuid}-response" not in of_type(bundle, "ClaimResponse")


def test_a_practitioners_everything_leaves_the_bills_out(client, billing_record, patient_a, alice):
    bundle = everything(client, patient_a, token(alice))
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert not kinds & BILLING_TYPES
    names = {r.get("name") for r in of_type(bundle, "Organization").values()}
    assert "Sun Life" not in names


def test_every_billing_resource_reads_by_id_for_front_desk_with_one_access_row(
    client, admin_bundle, patient_a, bob, alice
):
    front_desk, practitioner = token(bob), token(alice)
    billing = [r for r in resources(admin_bundle).values() if r["resourceType"] in BILLING_TYPES]
    assert len(billing) > 15
    for resource in billing:
        url = f"/api/v1/fhir/{resource['resourceType']}/{resource['id']}"
        before = ChartAccess.objects.count()
        response = client.get(url, **bearer(front_desk))
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/fhir+json"
        assert response.json() == resource, url
        assert ChartAccess.objects.count() - before == 1, url
        row = ChartAccess.objects.latest("id")
        assert (row.patient_uuid, row.username) == (patient_a.uuid, "bob")
        assert row.what == f"fhir.{resource['resourceType']}"
        # The practitioner bills nobody: 403, as on the billing pages.
        assert client.get(url, **bearer(practitioner)).status_code == 403, url
    # Front desk still gets no clinical bundle.
    response = client.get(
        f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything", **bearer(front_desk)
    )
    assert response.status_code == 403


def test_payer_organizations_read_by_id_within_the_clinic(client, admin_bundle, bob, carol):
    payers = [r for r in of_type(admin_bundle, "Organization").values() if r["name"] == "Sun Life"]
    url = f"/api/v1/fhir/Organization/{payers[0]['id']}"
    response = client.get(url, **bearer(token(bob)))
    assert response.status_code == 200 and response.json() == payers[0]
    assert client.get(url, **bearer(token(carol))).status_code == 404


def test_unknown_billing_ids_are_404(client, billing_record, olivia):
    raw = token(olivia)
    invoice = billing_record["split"]
    for url in (
        f"/api/v1/fhir/ChargeItem/{invoice.uuid}-l9",
        f"/api/v1/fhir/Invoice/{billing_record['debit'].uuid}",  # a payment's id as an invoice
        f"/api/v1/fhir/ClaimResponse/{billing_record['plan'].uuid}-response",
        "/api/v1/fhir/Claim/not-a-uuid",
        f"/api/v1/fhir/ClaimResponse/{invoice.uuid}-response",
    ):
        assert client.get(url, **bearer(raw)).status_code == 404, url


def test_the_portal_download_has_the_patients_issued_bills_only(client, pat, billing_record):
    client.force_login(pat)
    response = client.get("/interop/portal/record.fhir.json")
    assert response.status_code == 200
    bundle = response.json()
    fhir_class("Bundle").model_validate(bundle)
    invoices = of_type(bundle, "Invoice")
    assert str(billing_record["split"].uuid) in invoices
    assert str(billing_record["draft"].uuid) not in invoices, "drafts are the clinic's work"
    assert f"{billing_record['draft'].uuid}-l0" not in of_type(bundle, "ChargeItem")
    assert {"Coverage", "PaymentReconciliation", "Claim"} <= {k for k, _ in resources(bundle)}


def test_everything_queries_do_not_grow_with_invoices(client, patient_a, bob, olivia):
    """Lines, shares, payments and credits are fetched per batch of invoices, not per invoice."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raw = token(olivia)
    coverage = actions.add_coverage(
        patient=patient_a, by=bob, payer_kind="auto", insurer_name="Intact", claim_number="A1"
    )

    def bill():
        invoice = actions.create_invoice(
            patient=patient_a, by=bob, lines=[{"description": "Visit", "unit_price": "80"}]
        )
        actions.split_with_payer(invoice=invoice, coverage=coverage, amount="30.00", by=bob)
        invoice = actions.issue_invoice(invoice=invoice, by=bob)
        actions.record_payment(invoice=invoice, by=bob, method="cash", amount="50.00")
        actions.submit_claim(invoice=invoice, coverage=coverage, by=bob)
        actions.issue_credit_note(invoice=invoice, by=bob, amount="5.00", reason="Goodwill")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            everything(client, patient_a, raw)
        return len(ctx.captured_queries)

    bill()
    count()
    few = count()
    for _ in range(3):
        bill()
    assert count() == few


def test_validate_parameter_validates_the_billing_resources_at_run_time(
    client, billing_record, patient_a, olivia
):
    url = f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything?validate=true"
    response = client.get(url, **bearer(token(olivia)))
    assert response.status_code == 200
    assert BILLING_TYPES <= {e["resource"]["resourceType"] for e in response.json()["entry"]}
