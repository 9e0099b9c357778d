"""Authorisation-matrix entries for billing: front desk and clinic admins only (practitioners see
their own revenue in the reports, not a patient's bills); POST-only steps answer 405 to a GET."""

import datetime

from imsclinic.billing import actions
from imsclinic.scheduling.models import Status
from tests.factories import AppointmentFactory
from tests.trust.authz_registry import Route

BILLERS = ("bob", "olivia")


def _patient(w, patient):
    return {"patient_uuid": patient.uuid}


def _invoice(w, patient):
    invoice = actions.create_invoice(
        patient=patient, by=w.bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
    )
    return {"invoice_uuid": invoice.uuid, "step": "pay"}


def _visit(w, patient):
    visit = AppointmentFactory(
        clinic=patient.clinic,
        patient=patient,
        practitioner=w.alice,
        starts_at=datetime.datetime(2026, 11, 2, 16, 0, tzinfo=datetime.UTC),
        status=Status.COMPLETED,
    )
    return {"appointment_uuid": visit.uuid}


AUTHZ = [
    Route("billing/patients/<uuid:patient_uuid>/", _patient, ok=BILLERS),
    Route("billing/patients/<uuid:patient_uuid>/coverage/", _patient, ok=BILLERS, status=405),
    Route("billing/patients/<uuid:patient_uuid>/invoices/new/", _patient, ok=BILLERS, status=405),
    Route("billing/appointments/<uuid:appointment_uuid>/invoice/", _visit, ok=BILLERS, status=405),
    Route("billing/invoices/<uuid:invoice_uuid>/", _invoice, ok=BILLERS),
    Route("billing/invoices/<uuid:invoice_uuid>/<slug:step>/", _invoice, ok=BILLERS, status=405),
]


def _issued(w, patient):
    invoice = actions.create_invoice(
        patient=patient, by=w.bob, lines=[{"description": "IMS treatment", "unit_price": "95"}]
    )
    actions.issue_invoice(invoice=invoice, by=w.bob)
    return {"invoice_uuid": invoice.uuid, "kind": "invoice"}


def _statement(w, patient):
    return {"patient_uuid": patient.uuid, "year": 2026}


AUTHZ += [
    # The invoice PDF of an issued invoice; a statement with no payments redirects with a reason.
    Route("billing/invoices/<uuid:invoice_uuid>/<slug:kind>.pdf", _issued, ok=BILLERS),
    Route(
        "billing/patients/<uuid:patient_uuid>/statement-<int:year>.pdf",
        _statement,
        ok=BILLERS,
        status=302,
    ),
    Route("billing/portal/invoices/<uuid:invoice_uuid>/<slug:kind>.pdf", _issued, portal=True),
    # Paying online is a POST; to a GET the patient's own invoice is a 405, another's a 404.
    Route("billing/portal/invoices/<uuid:invoice_uuid>/pay/", _issued, portal=True, status=405),
]


# --- The billing API (billing/api/): the same billers; POST-only steps answer 405 to a GET.


def _api_invoice(w, patient):
    return {"invoice_uuid": _issued(w, patient)["invoice_uuid"]}


def _api_payment(w, patient):
    invoice = _api_invoice(w, patient)["invoice_uuid"]
    from imsclinic.billing.models import Invoice

    payment = actions.record_payment(
        invoice=Invoice.objects.get(uuid=invoice), by=w.bob, method="cash", amount="95"
    )
    return {"payment_uuid": payment.uuid}


def _api_claim(w, patient):
    from imsclinic.billing.models import Invoice

    invoice = Invoice.objects.get(uuid=_api_invoice(w, patient)["invoice_uuid"])
    coverage = actions.add_coverage(
        patient=patient,
        by=w.bob,
        payer_kind="extended_health",
        insurer_name="Sun Life",
        member_id="1",
    )
    claim = actions.submit_claim(invoice=invoice, coverage=coverage, by=w.bob, amount="50")
    return {"claim_uuid": claim.uuid}


AUTHZ += [
    Route(f"api/v1/billing/invoices/<uuidstr:invoice_uuid>{suffix}", _api_invoice, ok=BILLERS)
    for suffix in ("", "/lines", "/shares", "/credit-notes", "/payments", "/claims")
]
AUTHZ += [
    Route(
        f"api/v1/billing/invoices/<uuidstr:invoice_uuid>/{step}",
        _api_invoice,
        ok=BILLERS,
        status=405,
    )
    for step in ("issue", "void", "checkout")
]
AUTHZ += [
    Route("api/v1/billing/payments/<uuidstr:payment_uuid>", _api_payment, ok=BILLERS),
    Route("api/v1/billing/payments/<uuidstr:payment_uuid>/refunds", _api_payment, ok=BILLERS),
    Route("api/v1/billing/patients/<uuidstr:patient_uuid>/coverage", _patient, ok=BILLERS),
    Route("api/v1/billing/claims/<uuidstr:claim_uuid>", _api_claim, ok=BILLERS),
    Route(
        "api/v1/billing/claims/<uuidstr:claim_uuid>/decision", _api_claim, ok=BILLERS, status=405
    ),
]
