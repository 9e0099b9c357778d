"""Writes to billing. Each action is atomic, checks the actor's role itself, and records exactly one
audit event. Money arrives as Decimal (or a string of one) and is rounded to cents once, here.

Who may bill: front desk and clinic admins of the invoice's clinic. Practitioners see their own
revenue (billing/reports.py) but do not take payments.

Lock order (docs/billing.md): the clinic's invoice counter, then the invoice row, then the audit
chain (last, inside `record`). Nothing here renders a PDF or sends mail inside a transaction.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from imsclinic.accounts.models import Role
from imsclinic.audit.services import record
from imsclinic.billing import taxes
from imsclinic.billing.models import (
    Claim,
    ClaimStatus,
    Coverage,
    FeeSchedule,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceShare,
    InvoiceStatus,
    PayerKind,
    Payment,
    PaymentMethod,
    TaxCode,
    money,
)
from imsclinic.scheduling.models import Status

BILLING_ROLES = (Role.FRONT_DESK, Role.CLINIC_ADMIN)
MAX_LINES = 50
MAX_AMOUNT = Decimal("100000.00")  # a single line or payment beyond this is a typing error


class BillingError(Exception):
    """A billing rule refused the change; `message` is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _require_biller(by, clinic) -> None:
    if by is None or not by.has_role(clinic, *BILLING_ROLES):
        raise BillingError("Only front desk staff and clinic admins of this clinic handle billing.")


def _amount(value, *, field: str, allow_zero: bool = False) -> Decimal:
    try:
        amount = money(value)
    except (InvalidOperation, TypeError, ValueError):
        raise BillingError("Enter an amount such as 95.00.", field=field) from None
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise BillingError("Enter an amount greater than zero.", field=field)
    if amount > MAX_AMOUNT:
        raise BillingError(f"An amount above {MAX_AMOUNT:,} is not accepted.", field=field)
    return amount


def _locked_draft(invoice) -> Invoice:
    # Only the invoice row (`of`): a plain FOR UPDATE with select_related also locked the clinic
    # row, which every insert that references the clinic needs to KEY SHARE at COMMIT (Django's
    # foreign keys are deferred), and two clients invoicing one patient deadlocked on PostgreSQL.
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient")
        .get(pk=invoice.pk)
    )
    if locked.status != InvoiceStatus.DRAFT:
        raise BillingError(
            f"{locked} is issued and cannot change. Issue a credit note to correct it."
        )
    return locked


def price_for(service, *, payer_kind: str = PayerKind.PATIENT) -> Decimal:
    """The service's price for this kind of payer: the fee schedule's, else the list price."""
    override = (
        FeeSchedule.objects.filter(service=service, payer_kind=payer_kind)
        .values_list("price", flat=True)
        .first()
    )
    return money(override if override is not None else service.price)


# --- Invoices -------------------------------------------------------------------------------


@transaction.atomic
def create_invoice(
    *,
    patient,
    by,
    service_date: datetime.date | None = None,
    practitioner=None,
    appointment=None,
    lines: list[dict] | None = None,
    note: str = "",
) -> Invoice:
    """A draft invoice for `patient`, optionally with lines ({description, unit_price, ...})."""
    clinic = patient.clinic
    _require_biller(by, clinic)
    invoice = Invoice.objects.create(
        clinic=clinic,
        patient=patient,
        appointment=appointment,
        practitioner=practitioner,
        service_date=service_date or clinic.today(),
        currency=clinic.policy("currency", "CAD"),
        jurisdiction=clinic.region,
        note=note[:300],
    )
    lines = lines or []
    for position, line in enumerate(lines):
        _add_line(invoice, position=position, **line)
    _recompute(invoice)
    record(
        by=by,
        action="billing.invoice.create",
        target=invoice,
        patient=patient,
        summary=f"Draft invoice for {patient}",
        details={"lines": len(lines)},
    )
    return invoice


@transaction.atomic
def invoice_appointment(*, appointment, by, payer_kind: str = PayerKind.PATIENT) -> Invoice:
    """The draft invoice for a completed visit, priced from its service (once per visit)."""
    clinic = appointment.clinic
    _require_biller(by, clinic)
    if appointment.status != Status.COMPLETED:
        raise BillingError("Only a completed visit is invoiced. Mark the visit completed first.")
    if appointment.service is None:
        raise BillingError("This visit has no service, so it has no price. Set its service first.")
    if (
        Invoice.objects.filter(appointment=appointment, kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.VOID)
        .exists()
    ):
        raise BillingError("This visit is already invoiced.")
    local_day = appointment.starts_at.astimezone(clinic.tz).date()
    return create_invoice(
        patient=appointment.patient,
        by=by,
        service_date=local_day,
        practitioner=appointment.practitioner,
        appointment=appointment,
        lines=[
            {
                "description": appointment.service.name,
                "unit_price": price_for(appointment.service, payer_kind=payer_kind),
                "service": appointment.service,
            }
        ],
    )


MISSED_FEES = {
    Status.NO_SHOW: ("no_show_fee", "No-show fee"),
    Status.CANCELLED: ("late_cancel_fee", "Late cancellation fee"),
}


@transaction.atomic
def invoice_missed_appointment(*, appointment, by) -> Invoice:
    """A no-show or late-cancellation fee, at the amount the clinic's policy sets."""
    clinic = appointment.clinic
    _require_biller(by, clinic)
    if appointment.status not in MISSED_FEES:
        raise BillingError("Only a no-show or a cancelled visit can carry a missed-visit fee.")
    key, label = MISSED_FEES[appointment.status]
    if appointment.status == Status.CANCELLED:
        window = datetime.timedelta(hours=float(clinic.policy("cancellation_hours", 24)))
        if appointment.cancelled_at is None or appointment.starts_at - appointment.cancelled_at >= (
            window
        ):
            raise BillingError("This visit was cancelled in time: no late-cancellation fee.")
    fee = clinic.policy(key, None)
    if fee in (None, "", 0, "0"):
        raise BillingError(f"The clinic has no {label.lower()} in its policies.")
    return create_invoice(
        patient=appointment.patient,
        by=by,
        service_date=appointment.starts_at.astimezone(clinic.tz).date(),
        practitioner=appointment.practitioner,
        appointment=appointment,
        lines=[{"description": label, "unit_price": fee}],
    )


def _add_line(
    invoice,
    *,
    position: int | None = None,
    description: str,
    unit_price,
    quantity=1,
    discount=0,
    tax_code: str = TaxCode.EXEMPT,
    service=None,
) -> InvoiceLine:
    description = (description or "").strip()
    if not description:
        raise BillingError("Describe the line, e.g. the service's name.", field="description")
    if tax_code not in TaxCode.values:
        raise BillingError("Choose a tax code.", field="tax_code")
    # A new invoice's lines are numbered by its creator; a draft's next line counts what is there.
    if position is None:
        position = invoice.lines.count()
    if position >= MAX_LINES:
        raise BillingError(f"An invoice holds at most {MAX_LINES} lines.")
    price = _amount(unit_price, field="unit_price", allow_zero=True)
    discount = _amount(discount, field="discount", allow_zero=True)
    try:
        quantity = Decimal(str(quantity)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise BillingError("Enter a quantity such as 1.", field="quantity") from None
    if quantity <= 0 or quantity > 100:
        raise BillingError("Enter a quantity between 0.01 and 100.", field="quantity")
    gross = money(quantity * price)
    if discount > gross:
        raise BillingError("A discount cannot exceed the line's amount.", field="discount")
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    return InvoiceLine.objects.create(
        invoice=invoice,
        position=position,
        service=service,
        description=description[:200],
        quantity=quantity,
        unit_price=price * sign,
        discount=discount * sign,
        tax_code=tax_code,
        line_total=(gross - discount) * sign,
    )


def _recompute(invoice, *, also_save: tuple[str, ...] = ()) -> None:
    """Tax per line at the jurisdiction's rate (rounded per line, as printed), then totals,
    saved in one UPDATE with the caller's own changed fields (`also_save`)."""
    rate = taxes.rate_for(invoice.jurisdiction)
    subtotal = tax_total = Decimal("0.00")
    for line in invoice.lines.all():
        line_rate = rate if line.tax_code == TaxCode.TAXABLE else Decimal("0")
        tax = money(line.line_total * line_rate / 100)
        if (line.tax_rate, line.tax_amount) != (line_rate, tax):
            line.tax_rate, line.tax_amount = line_rate, tax
            line.save(update_fields=["tax_rate", "tax_amount"])
        subtotal += line.line_total
        tax_total += tax
    invoice.subtotal, invoice.tax_total = subtotal, tax_total
    invoice.total = subtotal + tax_total
    shared = invoice.shares.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    invoice.patient_portion = invoice.total - shared
    invoice.save(
        update_fields=[
            "subtotal",
            "tax_total",
            "total",
            "patient_portion",
            "updated_at",
            *also_save,
        ]
    )


@transaction.atomic
def add_line(*, invoice, by, **line) -> InvoiceLine:
    _require_biller(by, invoice.clinic)
    locked = _locked_draft(invoice)
    added = _add_line(locked, **line)
    _recompute(locked)
    record(
        by=by,
        action="billing.invoice.line_add",
        target=locked,
        patient=locked.patient,
        summary=f"Added {added.description} to a draft invoice",
        details={"line_total": str(added.line_total), "tax_code": added.tax_code},
    )
    return added


@transaction.atomic
def remove_line(*, line, by) -> None:
    _require_biller(by, line.invoice.clinic)
    locked = _locked_draft(line.invoice)
    description = line.description
    InvoiceLine.objects.filter(pk=line.pk, invoice=locked).delete()
    _recompute(locked)
    record(
        by=by,
        action="billing.invoice.line_remove",
        target=locked,
        patient=locked.patient,
        summary=f"Removed {description} from a draft invoice",
    )


@transaction.atomic
def split_with_payer(*, invoice, coverage, amount, by) -> InvoiceShare:
    """Bill `amount` of the invoice to the patient's coverage; the patient owes the rest."""
    _require_biller(by, invoice.clinic)
    locked = _locked_draft(invoice)
    if coverage.patient_id != locked.patient_id:
        raise BillingError("That coverage belongs to another patient.", field="coverage")
    if not coverage.is_active:
        raise BillingError("That coverage is no longer active.", field="coverage")
    amount = _amount(amount, field="amount")
    others = locked.shares.exclude(coverage=coverage).aggregate(s=Sum("amount"))["s"] or 0
    if amount + others > locked.total:
        raise BillingError(
            f"The payers' shares cannot exceed the invoice total of {locked.total}.",
            field="amount",
        )
    share, _ = InvoiceShare.objects.update_or_create(
        invoice=locked, coverage=coverage, defaults={"amount": amount}
    )
    _recompute(locked)
    record(
        by=by,
        action="billing.invoice.split",
        target=locked,
        patient=locked.patient,
        summary=f"{amount} billed to {coverage.insurer_name}",
        details={"amount": str(amount), "coverage": str(coverage.uuid)},
    )
    return share


ISSUE_FIELDS = ("number", "status", "issued_at", "issued_by")


def _next_number(clinic) -> int:
    """Take the clinic's next invoice number under a row lock: no gaps, no duplicates."""
    counter, _ = InvoiceCounter.objects.select_for_update().get_or_create(clinic=clinic)
    number = counter.next_number
    counter.next_number = number + 1
    counter.save(update_fields=["next_number"])
    return number


@transaction.atomic
def issue_invoice(*, invoice, by) -> Invoice:
    """Number the invoice (the clinic's next number) and freeze it."""
    _require_biller(by, invoice.clinic)
    # Counter first, then the invoice: the one lock order every issuing path follows.
    number = _next_number(invoice.clinic)
    locked = _locked_draft(invoice)
    if not locked.lines.exists():
        raise BillingError("An invoice needs at least one line before it is issued.")
    locked.number = number
    locked.status = InvoiceStatus.ISSUED
    locked.issued_at = timezone.now()
    locked.issued_by = by
    # Totals and the issue in one UPDATE; a refusal below rolls both back with the action.
    _recompute(locked, also_save=ISSUE_FIELDS)
    if locked.kind == InvoiceKind.INVOICE and locked.total < 0:
        raise BillingError("An invoice cannot total less than zero; issue a credit note instead.")
    record(
        by=by,
        action=f"billing.{locked.kind}.issue",
        target=locked,
        patient=locked.patient,
        summary=f"Issued {locked} for {locked.total} {locked.currency}",
        details={"number": number, "total": str(locked.total)},
    )
    return locked


@transaction.atomic
def void_invoice(*, invoice, by, reason: str) -> Invoice:
    """Void an issued invoice that nobody has paid (refund payments first)."""
    _require_biller(by, invoice.clinic)
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Say why the invoice is void.", field="reason")
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.ISSUED:
        raise BillingError(f"{locked} is not an issued invoice, so it cannot be voided.")
    if amount_paid(locked) != 0:
        raise BillingError(f"{locked} has payments. Refund them before voiding it.")
    if locked.credit_notes.filter(status=InvoiceStatus.ISSUED).exists():
        raise BillingError(f"{locked} has credit notes. Correct it with another credit note.")
    locked.status = InvoiceStatus.VOID
    locked.voided_at = timezone.now()
    locked.void_reason = reason[:300]
    locked.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
    record(
        by=by,
        action="billing.invoice.void",
        target=locked,
        patient=locked.patient,
        summary=f"Voided {locked}: {reason[:200]}",
        details={"reason": reason[:300]},
    )
    return locked


@transaction.atomic
def issue_credit_note(*, invoice, by, amount, reason: str) -> Invoice:
    """Correct an issued invoice by `amount` (tax-exempt part first): a numbered credit note."""
    _require_biller(by, invoice.clinic)
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Say what the credit note corrects.", field="reason")
    amount = _amount(amount, field="amount")
    number = _next_number(invoice.clinic)
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.status != InvoiceStatus.ISSUED or original.kind != InvoiceKind.INVOICE:
        raise BillingError("Only an issued invoice can be credited.")
    if amount > balance_before_payments(original):
        raise BillingError(
            f"The credit cannot exceed what remains of {original} "
            f"({balance_before_payments(original)}).",
            field="amount",
        )
    note = Invoice.objects.create(
        clinic=original.clinic,
        patient=original.patient,
        kind=InvoiceKind.CREDIT_NOTE,
        corrects=original,
        practitioner=original.practitioner,
        service_date=original.service_date,
        currency=original.currency,
        jurisdiction=original.jurisdiction,
        note=reason[:300],
    )
    _add_line(note, position=0, description=f"Credit: {reason[:180]}", unit_price=amount)
    note.number = number
    note.status = InvoiceStatus.ISSUED
    note.issued_at = timezone.now()
    note.issued_by = by
    _recompute(note, also_save=ISSUE_FIELDS)
    record(
        by=by,
        action="billing.credit_note.issue",
        target=note,
        patient=original.patient,
        summary=f"Credit note {note.display_number} for {amount} against {original}",
        details={"amount": str(amount), "corrects": original.number},
    )
    return note


# --- Balances --------------------------------------------------------------------------------


def credits_applied(invoice) -> Decimal:
    """The (positive) sum of issued credit notes against `invoice`."""
    total = invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).aggregate(s=Sum("total"))
    return -(total["s"] or Decimal("0.00"))


def balance_before_payments(invoice) -> Decimal:
    return invoice.total - credits_applied(invoice)


def amount_paid(invoice) -> Decimal:
    # Rounded because SQLite sums decimals as floats (95 rather than 95.00).
    return money(invoice.payments.aggregate(s=Sum("amount"))["s"] or 0)


def balance_due(invoice) -> Decimal:
    """What is still owed on an issued invoice (0 for drafts and voids)."""
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        return Decimal("0.00")
    return balance_before_payments(invoice) - amount_paid(invoice)


def account_credit(patient) -> Decimal:
    """Money the patient has paid beyond their invoices, not yet used or refunded."""
    return Payment.objects.filter(patient=patient, invoice__isnull=True).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0.00")


# --- Payments --------------------------------------------------------------------------------


@transaction.atomic
def record_payment(
    *,
    invoice,
    by,
    method: str,
    amount,
    received_on: datetime.date | None = None,
    reference: str = "",
    coverage: Coverage | None = None,
) -> Payment:
    """Money received against an issued invoice. A patient's overpayment becomes account credit;
    an insurer never pays more than what is owed."""
    _require_biller(by, invoice.clinic)
    if method == PaymentMethod.ONLINE:
        raise BillingError(
            "Online payments are recorded by the payment provider, not by hand.", field="method"
        )
    payment, excess = _take_payment(
        invoice,
        by=by,
        method=method,
        amount=amount,
        received_on=received_on,
        reference=reference,
        coverage=coverage,
    )
    record(
        by=by,
        action="billing.payment.record",
        target=payment,
        patient=payment.patient,
        summary=f"{payment.amount} by {payment.get_method_display().lower()} on {payment.invoice}"
        + (f"; {excess} kept as account credit" if excess else ""),
        details={"applied": str(payment.amount), "credit": str(excess), "method": method},
    )
    return payment


def _take_payment(invoice, *, by, method, amount, received_on, reference, coverage):
    """Apply a payment to a locked invoice; returns (payment, excess kept as account credit)."""
    if method not in PaymentMethod.values:
        raise BillingError("Choose how the money was paid.", field="method")
    reference = (reference or "").strip()
    # An online payment's reference is the provider's own id (billing/online.py), never typed.
    if method != PaymentMethod.ONLINE and sum(ch.isdigit() for ch in reference) >= 12:
        raise BillingError(
            "Never record a card number: keep only the terminal's reference or the last 4 digits.",
            field="reference",
        )
    amount = _amount(amount, field="amount")
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient")
        .get(pk=invoice.pk)
    )  # the invoice row only, not the clinic's and patient's (see _locked_draft)
    if locked.status != InvoiceStatus.ISSUED or locked.kind != InvoiceKind.INVOICE:
        raise BillingError("Payments are taken against an issued invoice.")
    if (method == PaymentMethod.INSURER) != (coverage is not None):
        raise BillingError(
            "An insurer's direct payment names the patient's coverage, and only it does.",
            field="coverage",
        )
    if coverage is not None and coverage.patient_id != locked.patient_id:
        raise BillingError("That coverage belongs to another patient.", field="coverage")
    due = balance_due(locked)
    if due <= 0:
        raise BillingError(f"{locked} is paid in full.")
    received_on = received_on or locked.clinic.today()
    if method == PaymentMethod.ACCOUNT_CREDIT:
        available = account_credit(locked.patient)
        if amount > available:
            raise BillingError(
                f"The patient's account credit is {available}; it does not cover {amount}.",
                field="amount",
            )
    applied = min(amount, due)
    excess = amount - applied
    if excess and method in (PaymentMethod.INSURER, PaymentMethod.ACCOUNT_CREDIT):
        raise BillingError(
            f"Only {due} is owed on {locked}; this payment method cannot leave a credit.",
            field="amount",
        )
    common = {
        "clinic": locked.clinic,
        "patient": locked.patient,
        "method": method,
        "received_on": received_on,
        "reference": reference[:60],
        "recorded_by": by,
    }
    payment = Payment.objects.create(invoice=locked, amount=applied, coverage=coverage, **common)
    if method == PaymentMethod.ACCOUNT_CREDIT:
        Payment.objects.create(invoice=None, amount=-applied, **common)
    if excess:
        Payment.objects.create(invoice=None, amount=excess, **common)
    return payment, excess


@transaction.atomic
def refund_payment(*, payment, by, amount, reason: str) -> Payment:
    """Give back part or all of a payment, by the same method: a negative payment."""
    _require_biller(by, payment.clinic)
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Say why the money is refunded.", field="reason")
    amount = _amount(amount, field="amount")
    original = Payment.objects.select_for_update().get(pk=payment.pk)
    if original.amount <= 0 or original.refund_of_id:
        raise BillingError("Only a payment received can be refunded.")
    refunded = -(original.refunds.aggregate(s=Sum("amount"))["s"] or Decimal("0.00"))
    if amount > original.amount - refunded:
        raise BillingError(
            f"At most {original.amount - refunded} of this payment can still be refunded.",
            field="amount",
        )
    if original.invoice_id is None and amount > account_credit(original.patient):
        raise BillingError("That credit has already been used on an invoice.", field="amount")
    refund = Payment.objects.create(
        clinic=original.clinic,
        patient=original.patient,
        invoice=original.invoice,
        coverage=original.coverage,
        method=original.method,
        amount=-amount,
        received_on=original.clinic.today(),
        reference=reason[:60],
        refund_of=original,
        recorded_by=by,
    )
    record(
        by=by,
        action="billing.payment.refund",
        target=refund,
        patient=original.patient,
        summary=f"Refunded {amount} by {original.get_method_display().lower()}: {reason[:150]}",
        details={"amount": str(amount), "reason": reason[:300]},
    )
    return refund


# --- Coverage and claims ---------------------------------------------------------------------


@transaction.atomic
def add_coverage(*, patient, by, payer_kind: str, insurer_name: str, **fields) -> Coverage:
    _require_biller(by, patient.clinic)
    if payer_kind not in PayerKind.values or payer_kind == PayerKind.PATIENT:
        raise BillingError("Choose the kind of insurer.", field="payer_kind")
    insurer_name = (insurer_name or "").strip()
    if not insurer_name:
        raise BillingError("Name the insurer or board.", field="insurer_name")
    if payer_kind in (PayerKind.WORKERS_COMP, PayerKind.AUTO) and not fields.get("claim_number"):
        raise BillingError("A WCB or auto claim needs its claim number.", field="claim_number")
    if payer_kind == PayerKind.EXTENDED_HEALTH and not (
        fields.get("plan_number") or fields.get("member_id")
    ):
        raise BillingError("Enter the plan or policy number, or the member id.", field="member_id")
    coverage = Coverage.objects.create(
        clinic=patient.clinic,
        patient=patient,
        payer_kind=payer_kind,
        insurer_name=insurer_name[:120],
        **{k: (v or "").strip() for k, v in fields.items()},
    )
    record(
        by=by,
        action="billing.coverage.add",
        target=coverage,
        patient=patient,
        summary=f"Coverage added: {coverage.insurer_name}",
    )
    return coverage


@transaction.atomic
def submit_claim(*, invoice, coverage, by, amount=None, submitted_on=None):
    """Send the insurer's share of an issued invoice (default: its share on the invoice)."""
    _require_biller(by, invoice.clinic)
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.ISSUED:
        raise BillingError("Claims are made on an issued invoice.")
    share = locked.shares.filter(coverage=coverage).first()
    if amount is None:
        if share is None:
            raise BillingError("Enter the amount claimed.", field="amount")
        amount = share.amount
    amount = _amount(amount, field="amount")
    if amount > balance_before_payments(locked):
        raise BillingError("A claim cannot exceed the invoice.", field="amount")
    claim = Claim.objects.create(
        clinic=locked.clinic,
        invoice=locked,
        coverage=coverage,
        amount_claimed=amount,
        submitted_on=submitted_on or locked.clinic.today(),
    )
    record(
        by=by,
        action="billing.claim.submit",
        target=claim,
        patient=locked.patient,
        summary=f"Claim of {amount} to {coverage.insurer_name}",
    )
    return claim


@transaction.atomic
def decide_claim(*, claim, by, status: str, amount_paid=None, reason: str = "", on=None):
    """The insurer's answer: paid (recording its direct payment), denied with a reason, or
    resubmitted after a denial."""
    _require_biller(by, claim.clinic)
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    allowed = {
        ClaimStatus.SUBMITTED: {ClaimStatus.PAID, ClaimStatus.DENIED},
        ClaimStatus.RESUBMITTED: {ClaimStatus.PAID, ClaimStatus.DENIED},
        ClaimStatus.DENIED: {ClaimStatus.RESUBMITTED},
        ClaimStatus.PAID: set(),
    }[locked.status]
    if status not in allowed:
        raise BillingError("That step does not follow from the claim's current state.")
    reason = (reason or "").strip()
    if status == ClaimStatus.DENIED and not reason:
        raise BillingError("Record the insurer's reason for the denial.", field="reason")
    locked.status = status
    locked.decided_on = on or locked.clinic.today()
    if status == ClaimStatus.DENIED:
        locked.denial_reason = reason[:300]
    if status == ClaimStatus.PAID:
        paid = _amount(
            amount_paid if amount_paid is not None else locked.amount_claimed, field="amount_paid"
        )
        if paid > locked.amount_claimed:
            raise BillingError("An insurer pays at most what was claimed.", field="amount_paid")
        locked.amount_paid = paid
    locked.save()
    if status == ClaimStatus.PAID:
        # The insurer's money is a payment like any other, so the close-out sees it.
        _take_payment(
            locked.invoice,
            by=by,
            method=PaymentMethod.INSURER,
            amount=locked.amount_paid,
            received_on=locked.decided_on,
            reference=locked.external_reference,
            coverage=locked.coverage,
        )
    record(
        by=by,
        action=f"billing.claim.{status}",
        target=locked,
        patient=locked.invoice.patient,
        summary=f"Claim to {locked.coverage.insurer_name}: {locked.get_status_display().lower()}",
        details={"reason": locked.denial_reason, "paid": str(locked.amount_paid)},
    )
    return locked
