"""Billing API: the close-out and revenue reports, and GET on POST-only routes (405)."""

import uuid

from django.http import HttpResponseNotAllowed
from ninja import Query
from ninja.errors import HttpError

from imsclinic.accounts.models import Role
from imsclinic.billing import reports
from imsclinic.billing.actions import BILLING_ROLES
from imsclinic.billing.api.claims import _claim
from imsclinic.billing.api.common import (
    _invoice,
    _reading,
    _report_clinic,
    router,
)
from imsclinic.billing.schemas import (
    Closeout,
    Revenue,
)
from imsclinic.core.validation import ApiDate
from imsclinic.gateway.api_auth import require_staff

# --- Reports --------------------------------------------------------------------------------


@router.get("/reports/close-out", response=Closeout)
def closeout(request, day: ApiDate | None = None, clinic: uuid.UUID | None = None):
    """The day's money by method (clinic-local `day`, default today), reconciled to the cent to
    the invoices it was applied to plus the net change in account credit. Front desk and clinic
    admins; invoice numbers only, no patient names."""
    _reading(request)
    chosen = _report_clinic(request, clinic)
    if not request.user.has_role(chosen, *BILLING_ROLES):
        raise HttpError(403, "Only front desk staff and clinic admins see the close-out.")
    day = day or chosen.today()
    summary = reports.closeout_summary(chosen, day)
    return {
        "clinic": chosen.uuid,
        "day": day,
        "currency": chosen.policy("currency", "CAD"),
        "methods": [
            {"method": m, "label": label, "amount": f"{amount:.2f}"}
            for m, label, amount in summary.methods
        ],
        "total": f"{summary.total:.2f}",
        "applied_to_invoices": f"{summary.applied:.2f}",
        "account_credit_change": f"{summary.credit:.2f}",
        "reconciled": summary.reconciled,
        "invoices": [
            {"invoice": invoice.uuid, "number": invoice.number, "applied": f"{amount:.2f}"}
            for invoice, amount in summary.invoices
        ],
    }


@router.get("/reports/revenue", response=Revenue)
def revenue(
    request,
    year: int = Query(None, ge=2000, le=2100),
    clinic: uuid.UUID | None = None,
):
    """Billed revenue before tax by month, practitioner and service. Clinic admins see the
    clinic's; a practitioner sees their own only, whatever they ask."""
    _reading(request)
    chosen = _report_clinic(request, clinic)
    if not request.user.has_role(chosen, Role.CLINIC_ADMIN, Role.PRACTITIONER):
        raise HttpError(403, "Revenue is for clinic admins and, their own, practitioners.")
    own = not request.user.has_role(chosen, Role.CLINIC_ADMIN)
    year = year or chosen.today().year
    report = reports.revenue(chosen, year, practitioner=request.user if own else None)
    return {
        "clinic": chosen.uuid,
        "year": year,
        "currency": chosen.policy("currency", "CAD"),
        "own_only": own,
        "rows": [
            {"month": m, "practitioner": p, "service": s, "amount": f"{a:.2f}"}
            for m, p, s, a in report.rows
        ],
        "total": f"{report.totals[-1]:.2f}",
    }


# GET on the POST-only routes: 401 / 404 / 403 as for a read, then 405 (include_in_schema=False).
@router.get("/invoices/{uuid:invoice_uuid}/issue", include_in_schema=False)
def _refuse_issue_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/invoices/{uuid:invoice_uuid}/void", include_in_schema=False)
def _refuse_void_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/invoices/{uuid:invoice_uuid}/checkout", include_in_schema=False)
def _refuse_checkout_get(request, invoice_uuid: uuid.UUID):
    require_staff(request)
    _invoice(request, invoice_uuid, "api.billing.invoice")
    return HttpResponseNotAllowed(["POST"])


@router.get("/claims/{uuid:claim_uuid}/decision", include_in_schema=False)
def _refuse_decision_get(request, claim_uuid: uuid.UUID):
    require_staff(request)
    _claim(request, claim_uuid, "api.billing.claim")
    return HttpResponseNotAllowed(["POST"])
