"""Invoice, receipt and year-end statement PDFs: what insurers need is on the receipt (read back
with pypdf), printing happens outside the transaction and is audited after, the patient gets them
by email and from the portal, and drafts or unregistered practitioners are refused clearly."""

import datetime
import io
import shutil
import subprocess

import pytest
from django.core import mail
from PIL import Image
from pypdf import PdfReader

from imsclinic.accounts.models import ProfessionalRegistration
from imsclinic.audit.models import AuditEvent
from imsclinic.billing import actions, documents
from imsclinic.billing.actions import BillingError
from tests.conftest import login
from tests.factories import CoverageFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def paid_visit(bob, completed_visit, patient):
    """The visit invoiced at 95.00, split 60.00 to Sun Life and 35.00 paid by debit."""
    coverage = CoverageFactory(patient=patient, insurer_name="Sun Life")
    invoice = actions.invoice_appointment(appointment=completed_visit, by=bob)
    actions.split_with_payer(invoice=invoice, coverage=coverage, amount="60.00", by=bob)
    invoice = actions.issue_invoice(invoice=invoice, by=bob)
    actions.record_payment(
        invoice=invoice,
        by=bob,
        method="debit",
        amount="35.00",
        received_on=datetime.date(2026, 11, 2),
    )
    actions.record_payment(
        invoice=invoice, by=bob, method="insurer", amount="60.00", coverage=coverage,
        received_on=datetime.date(2026, 11, 20),
    )  # fmt: skip
    return invoice


def test_receipt_names_registration_service_date_and_amount_paid(
    client, bob, alice, paid_visit, tmp_path
):
    registration = ProfessionalRegistration.objects.get(user=alice)
    login(client, bob)
    response = client.get(f"/billing/invoices/{paid_visit.uuid}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Registration no. {registration.number}" in text
    assert "Alice Practitioner" in text and registration.profession in text
    assert "IMS treatment" in text
    assert "Date of service: 2026-11-02" in text
    assert "35.00" in text and "Paid by the patient" in text
    assert "Sun Life" in text and "60.00" in text
    event = AuditEvent.objects.filter(action="billing.receipt.pdf").get()
    assert event.actor_username == "bob"

    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) renders the PDF to look at it"
    source = tmp_path / "receipt.pdf"
    source.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", source, tmp_path / "page"],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    # The letterhead's rule is the clinic blue (#1f4e79): the page really printed, styled.
    assert (31, 78, 121) in {colour for _, colour in image.getcolors(1 << 20)}


def test_no_receipt_before_payment_and_no_pdf_for_a_draft(bob, completed_visit):
    draft = actions.invoice_appointment(appointment=completed_visit, by=bob)
    with pytest.raises(BillingError, match="issue the invoice"):
        documents.invoice_pdf(invoice=draft, kind="invoice", by=bob)
    issued = actions.issue_invoice(invoice=draft, by=bob)
    with pytest.raises(BillingError, match="Nothing has been paid"):
        documents.invoice_pdf(invoice=issued, kind="receipt", by=bob)
    assert not AuditEvent.objects.filter(action__endswith=".pdf").exists()


def test_a_receipt_without_the_practitioners_registration_is_refused(
    client, bob, alice, paid_visit
):
    ProfessionalRegistration.objects.filter(user=alice).update(jurisdiction="CA-BC")
    login(client, bob)
    response = client.get(f"/billing/invoices/{paid_visit.uuid}/receipt.pdf", follow=True)
    assert "has no registration in CA-AB on file" in response.content.decode()


def test_the_receipt_is_emailed_to_the_patient_as_a_pdf(client, bob, paid_visit, patient):
    patient.email = "ines@example.org"
    patient.save(update_fields=["email"])
    login(client, bob)
    response = client.post(f"/billing/invoices/{paid_visit.uuid}/email/", {"document": "receipt"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["ines@example.org"]
    (name, data, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf" and name == f"receipt-{paid_visit.display_number}.pdf"
    assert "IMS treatment" in pdf_text(data)
    assert AuditEvent.objects.filter(action="billing.receipt.email").count() == 1


def test_the_patient_downloads_their_receipt_and_statement_from_the_portal(
    client, bob, pat, patient_a, alice
):
    invoice = actions.create_invoice(
        patient=patient_a,
        by=bob,
        practitioner=alice,
        service_date=datetime.date(2026, 3, 4),
        lines=[{"description": "IMS follow-up", "unit_price": "85.00"}],
    )
    invoice = actions.issue_invoice(invoice=invoice, by=bob)
    actions.record_payment(
        invoice=invoice,
        by=bob,
        method="e_transfer",
        amount="85.00",
        received_on=datetime.date(2026, 3, 4),
    )
    login(client, pat)
    home = client.get("/portal/").content.decode()
    receipt_url = f"/billing/portal/invoices/{invoice.uuid}/receipt.pdf"
    assert receipt_url in home and "/billing/portal/statement-2026.pdf" in home
    text = pdf_text(client.get(receipt_url).content)
    assert "IMS follow-up" in text and "85.00" in text
    statement = pdf_text(client.get("/billing/portal/statement-2026.pdf").content)
    assert "Year-end statement 2026" in statement and "Total paid in 2026" in statement
    assert "85.00" in statement
    assert client.get("/billing/portal/statement-2019.pdf", follow=True).status_code == 200


def test_the_statement_counts_what_the_patient_paid_in_the_year_only(bob, paid_visit, patient):
    context = documents.statement_context(patient, 2026)
    assert context["paid"] == actions.money("35.00")  # the insurer's 60.00 is not the patient's
    with pytest.raises(BillingError, match="paid nothing in 2025"):
        documents.statement_context(patient, 2025)
