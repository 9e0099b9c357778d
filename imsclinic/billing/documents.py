"""Billing documents on the clinic's letterhead: the invoice, the receipt insurers accept, and a
patient's year-end statement for the medical-expense tax credit. HTML rendered by Django, printed
to PDF by WeasyPrint in a render process (core.printing).

Printing takes a fraction of a second of CPU, so it happens outside any transaction: the actions
below print first, then record the audit event in a short transaction of their own."""

from decimal import Decimal

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from imsclinic.accounts.models import ProfessionalRegistration
from imsclinic.audit.services import record
from imsclinic.billing import actions
from imsclinic.billing.actions import BILLING_ROLES, BillingError
from imsclinic.billing.models import InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from imsclinic.core.printing import print_pdf

KINDS = {"invoice": "Invoice", "receipt": "Receipt", "statement": "Year-end statement"}


def practitioner_registration(invoice) -> ProfessionalRegistration | None:
    """The practitioner's registration where the clinic is: what an insurer checks."""
    if invoice.practitioner_id is None:
        return None
    registration = (
        ProfessionalRegistration.objects.filter(
            user_id=invoice.practitioner_id, jurisdiction=invoice.clinic.jurisdiction
        )
        .order_by("-expires_on")
        .first()
    )
    if registration is None:
        raise BillingError(
            f"{invoice.practitioner.display_name} has no registration in "
            f"{invoice.clinic.jurisdiction} on file, and insurers refuse a receipt without one. "
            "Add it to their account first."
        )
    return registration


def _invoice_context(invoice, kind: str) -> dict:
    if invoice.status == InvoiceStatus.DRAFT:
        raise BillingError("A draft has no number yet: issue the invoice before printing it.")
    payments = list(
        invoice.payments.select_related("coverage").order_by("received_on", "created_at")
    )
    if kind == "receipt" and not payments:
        raise BillingError("Nothing has been paid on this invoice, so there is no receipt yet.")
    by_patient = sum(
        (p.amount for p in payments if p.method != PaymentMethod.INSURER), start=Decimal("0.00")
    )
    by_insurers = sum(
        (p.amount for p in payments if p.method == PaymentMethod.INSURER), start=Decimal("0.00")
    )
    return {
        "kind": kind,
        "title": KINDS[kind] if invoice.kind == InvoiceKind.INVOICE else "Credit note",
        "clinic": invoice.clinic,
        "patient": invoice.patient,
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "shares": list(invoice.shares.select_related("coverage")),
        "payments": payments,
        "paid_by_patient": by_patient,
        "paid_by_insurers": by_insurers,
        "paid": by_patient + by_insurers,
        "credits": actions.credits_applied(invoice),
        "due": actions.balance_due(invoice),
        "registration": practitioner_registration(invoice),
        "issued_on": invoice.issued_at.astimezone(invoice.clinic.tz).date(),
        "printed_on": invoice.clinic.today(),
    }


def statement_context(patient, year: int) -> dict:
    """What the patient paid the clinic in `year`, visit by visit: the medical-expense tax credit
    counts amounts paid (not billed), and not what an insurer paid or refunded."""
    payments = list(
        Payment.objects.filter(patient=patient, received_on__year=year, invoice__isnull=False)
        .exclude(method=PaymentMethod.INSURER)
        .select_related("invoice__practitioner", "invoice__clinic")
        .order_by("received_on", "created_at")
    )
    if not payments:
        raise BillingError(f"The patient paid nothing in {year}, so there is no statement.")
    registrations = {}
    for payment in payments:
        invoice = payment.invoice
        if invoice.pk not in registrations:
            registrations[invoice.pk] = practitioner_registration(invoice)
    rows = [(p, p.invoice, registrations[p.invoice_id]) for p in payments]
    return {
        "kind": "statement",
        "title": f"Year-end statement {year}",
        "clinic": patient.clinic,
        "patient": patient,
        "year": year,
        "rows": rows,
        "paid": sum((p.amount for p in payments), start=Decimal("0.00")),
        "printed_on": patient.clinic.today(),
    }


def render_pdf(context: dict) -> bytes:
    return print_pdf(render_to_string("billing/document.html", context)).pdf


def _require_reader(by, clinic, patient) -> None:
    """Billers of the clinic, or the patient themselves (their own documents, in the portal)."""
    own = getattr(by, "patient_record", None)
    if own is not None and own.pk == patient.pk:
        return
    if not by.has_role(clinic, *BILLING_ROLES):
        raise BillingError("Only front desk staff and clinic admins of this clinic handle billing.")


def invoice_pdf(*, invoice, kind: str, by) -> bytes:
    """The invoice or receipt as PDF, audited after printing."""
    if kind not in ("invoice", "receipt"):
        raise BillingError("No such document.")
    _require_reader(by, invoice.clinic, invoice.patient)
    pdf = render_pdf(_invoice_context(invoice, kind))
    _audit(by, f"billing.{kind}.pdf", invoice, invoice.patient, f"Printed {kind} for {invoice}")
    return pdf


def statement_pdf(*, patient, year: int, by) -> bytes:
    _require_reader(by, patient.clinic, patient)
    pdf = render_pdf(statement_context(patient, year))
    _audit(by, "billing.statement.pdf", patient, patient, f"Printed the {year} statement")
    return pdf


def email_document(*, invoice, kind: str, by) -> str:
    """Email the invoice or receipt to the patient as a PDF attachment; returns the address."""
    if kind not in ("invoice", "receipt"):
        raise BillingError("No such document.")
    _require_reader(by, invoice.clinic, invoice.patient)
    patient = invoice.patient
    if not patient.email:
        raise BillingError("The patient has no email address on file.")
    pdf = render_pdf(_invoice_context(invoice, kind))
    clinic = invoice.clinic
    message = EmailMessage(
        subject=f"Your {kind} from {clinic.name}",
        body=(
            f"Hello {patient.preferred_name or patient.given_name},\n\n"
            f"Your {kind} for your visit on {invoice.service_date:%Y-%m-%d} is attached.\n\n"
            f"{clinic.name}{' · ' + clinic.phone if clinic.phone else ''}\n"
        ),
        to=[patient.email],
        reply_to=[clinic.email] if clinic.email else None,
    )
    message.attach(f"{kind}-{invoice.display_number}.pdf", pdf, "application/pdf")
    message.send()
    _audit(by, f"billing.{kind}.email", invoice, patient, f"Emailed {kind} for {invoice}")
    return patient.email


@transaction.atomic
def _audit(by, action, target, patient, summary) -> None:
    record(by=by, action=action, target=target, patient=patient, summary=summary)


def years_with_payments(patient) -> list[int]:
    dates = (
        Payment.objects.filter(patient=patient, invoice__isnull=False)
        .exclude(method=PaymentMethod.INSURER)
        .dates("received_on", "year", order="DESC")
    )
    return [d.year for d in dates]
