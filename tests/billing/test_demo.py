"""The demo clinic bills: invoices for completed visits, payments, some left owing, and the portal
patient's visit split with their insurer, whose claim is paid."""

import pytest

from imsclinic.billing import actions
from imsclinic.billing.models import Claim, ClaimStatus, Coverage, Invoice, InvoiceStatus, Payment
from imsclinic.web.demo import build_demo

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_has_billing():
    ctx = build_demo(patients=40, seed=5)
    invoices = Invoice.objects.filter(clinic=ctx.clinic)
    assert invoices.count() >= 10
    assert not invoices.filter(status=InvoiceStatus.DRAFT).exists()
    numbers = sorted(invoices.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps
    for invoice in invoices.select_related("appointment__service"):
        assert invoice.appointment.status == "completed"
        assert invoice.total == invoice.appointment.service.price
    assert Payment.objects.filter(clinic=ctx.clinic).values("method").distinct().count() >= 3
    assert any(actions.balance_due(i) > 0 for i in invoices)  # something for the ageing report

    portal_patient = ctx.extras["portal_patient"]
    coverage = Coverage.objects.get(patient=portal_patient)
    claim = Claim.objects.get(coverage=coverage)
    assert claim.status == ClaimStatus.PAID
    assert actions.balance_due(claim.invoice) == 0
    assert Coverage.objects.filter(clinic=ctx.clinic, payer_kind="workers_comp").exists()

    build_demo(patients=40, seed=5)  # a second run adds nothing
    assert Invoice.objects.filter(clinic=ctx.clinic).count() == invoices.count()
