"""What the billing API's operations share: the router, the refusal (409), role and scope
checks, the gateway loads and the invoice's JSON shape."""

import contextlib
import uuid

from django.http import Http404
from ninja import Router
from ninja.errors import HttpError

from imsclinic.accounts.models import Clinic
from imsclinic.billing import actions
from imsclinic.billing.actions import BILLING_ROLES, BillingError
from imsclinic.billing.models import (
    Coverage,
    Invoice,
)
from imsclinic.billing.schemas import (
    BillingRefusal,
    InvoiceSummary,
    LinePublic,
)
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import load

router = Router(tags=["billing"], auth=api_auth)

INVOICE_RELATED = ("clinic", "patient", "practitioner", "appointment", "corrects")
PAYMENT_RELATED = ("clinic", "patient", "invoice", "coverage", "refund_of")
CLAIM_RELATED = ("clinic", "invoice__patient", "coverage")
REFUSED = {409: BillingRefusal}


class Refused(Exception):
    """A billing rule said no; imsclinic/api.py answers it as a 409 `BillingRefusal`."""

    def __init__(self, exc: BillingError):
        super().__init__(exc.message)
        self.payload = {"code": "refused", "detail": exc.message, "field": exc.field}


@contextlib.contextmanager
def _refusals():
    """A billing rule's refusal is a 409 with the rule's own message (never a 500)."""
    try:
        yield
    except BillingError as exc:
        raise Refused(exc) from exc


def refused_response(request, exc, *, api):
    return api.create_response(request, exc.payload, status=409)


def _reading(request) -> None:
    require_staff(request)
    require_scope(request, "read")


def _writing(request) -> None:
    require_staff(request)
    require_scope(request, "write")


def _billing_clinic_ids(request) -> list[int]:
    """The clinics where the caller bills (an integration token: its one clinic)."""
    token = getattr(request, "api_token", None)
    ids = request.user.staff_clinic_ids()
    if token is not None and token.clinic_id:
        ids = [token.clinic_id]
    billing = [pk for pk in ids if request.user.has_role(pk, *BILLING_ROLES)]
    if not billing:
        raise HttpError(403, "Only front desk staff and clinic admins handle billing.")
    return billing


def _report_clinic(request, clinic: uuid.UUID | None) -> Clinic:
    token = getattr(request, "api_token", None)
    staff = Clinic.objects.filter(pk__in=request.user.staff_clinic_ids())
    if token is not None and token.clinic_id:
        staff = staff.filter(pk=token.clinic_id)
    if clinic is not None:
        chosen = staff.filter(uuid=clinic).first()
    else:
        chosen = getattr(request, "clinic", None)
        if chosen is None or not staff.filter(pk=chosen.pk).exists():
            chosen = staff.order_by("pk").first()
    if chosen is None:
        raise Http404("No such clinic.")
    return chosen


def _invoice(request, invoice_uuid, what: str) -> Invoice:
    return load(
        request, Invoice, invoice_uuid, what=what, roles=BILLING_ROLES, select=INVOICE_RELATED
    )


def _reloaded(invoice) -> Invoice:
    """The invoice again after a write (already authorised and logged)."""
    return Invoice.objects.select_related(*INVOICE_RELATED).get(pk=invoice.pk)


def _detail(invoice) -> dict:
    lines = invoice.lines.select_related("service")
    shares = invoice.shares.select_related("coverage")
    credits = actions.credits_applied(invoice)
    paid = actions.amount_paid(invoice)
    return {
        **InvoiceSummary.of(invoice),
        "note": invoice.note,
        "lines": [LinePublic.of(line) for line in lines],
        "shares": [_share(share) for share in shares],
        "credits": f"{credits:.2f}",
        "amount_paid": f"{paid:.2f}",
        "balance_due": f"{actions.balance_due(invoice):.2f}",
    }


def _share(share) -> dict:
    return {
        "coverage": share.coverage.uuid,
        "insurer_name": share.coverage.insurer_name,
        "amount": f"{share.amount:.2f}",
    }


def _coverage_of(patient, coverage_uuid) -> Coverage:
    """The patient's own coverage (the invoice's patient was read through the gateway)."""
    coverage = Coverage.objects.filter(patient=patient, uuid=coverage_uuid).first()
    if coverage is None:
        raise Http404("No such coverage for this patient.")
    return coverage


class _Mapped:
    """A queryset that ninja's pagination slices and counts, mapped row by row to a dict."""

    def __init__(self, queryset, mapper):
        self.queryset, self.mapper = queryset, mapper

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [self.mapper(row) for row in self.queryset[item]]
