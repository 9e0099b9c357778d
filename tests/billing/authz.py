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
]
