"""Billing: invoices, payments, coverage and claims, and the per-clinic invoice counter.

Money is `Decimal` with two places in the clinic's currency, never a float. The rules:
- An invoice is a draft until it is issued; issuing gives it the clinic's next number (no gaps:
  the number comes from a locked counter row in the same transaction) and freezes it. Issued
  invoices and their lines are locked by database triggers (billing/locks.py); the only later
  change is a void (status, time and reason). Corrections are credit notes: invoices of kind
  "credit note" with negative lines that point at the invoice they correct.
- total = sum of line totals + tax; each line's total is quantity x unit price - discount.
- Payments never exceed what is owed on the invoice they are applied to; money paid beyond that
  is recorded as the patient's account credit, and refunds are negative payments. Card numbers
  are never stored: a card payment records only the terminal's reference.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round

from imsclinic.core.models import PublicIdModel, TimestampedModel

CENTS = Decimal("0.01")


def money(value) -> Decimal:
    """Round to cents, half up (the way a receipt is read), from a Decimal, int or string."""
    return Decimal(value).quantize(CENTS, rounding="ROUND_HALF_UP")


class PayerKind(models.TextChoices):
    PATIENT = "patient", "Patient (private pay)"
    EXTENDED_HEALTH = "extended_health", "Extended health insurance"
    WORKERS_COMP = "workers_comp", "Workers' compensation board"
    AUTO = "auto", "Auto insurance"


class Relationship(models.TextChoices):
    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse or partner"
    CHILD = "child", "Child"
    OTHER = "other", "Other dependant"


class TaxCode(models.TextChoices):
    EXEMPT = "exempt", "Tax exempt (health care service)"
    TAXABLE = "taxable", "Taxable (product)"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    DEBIT = "debit", "Debit card"
    CREDIT_CARD = "credit_card", "Credit card"
    E_TRANSFER = "e_transfer", "E-transfer"
    INSURER = "insurer", "Insurer direct payment"
    ACCOUNT_CREDIT = "account_credit", "Account credit"
    ONLINE = "online", "Online payment"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    DENIED = "denied", "Denied"
    RESUBMITTED = "resubmitted", "Resubmitted"


class FeeSchedule(TimestampedModel):
    """A clinic's price for one service when a given kind of payer is billed (WCB, auto...).

    Without a row, the service's own price applies."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        "scheduling.Service", on_delete=models.CASCADE, related_name="fee_schedule"
    )
    payer_kind = models.CharField(max_length=20, choices=PayerKind.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "payer_kind"], name="billing_fee_one_price_per_payer"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="billing_fee_not_negative"),
        ]


class Coverage(PublicIdModel, TimestampedModel):
    """A patient's insurance or claim: who pays part of the bill and under which numbers.

    Extended health plans carry plan/policy and member ids; WCB and auto claims carry a claim
    number. `payer_reference` is free for an electronic claims network's payer id later."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="coverages"
    )
    payer_kind = models.CharField(max_length=20, choices=PayerKind.choices)
    insurer_name = models.CharField(max_length=120)
    plan_number = models.CharField("plan or policy number", max_length=60, blank=True)
    member_id = models.CharField("member id", max_length=60, blank=True)
    relationship = models.CharField(
        "relationship to the plan member",
        max_length=10,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    plan_member_name = models.CharField(max_length=200, blank=True)
    claim_number = models.CharField(max_length=60, blank=True)
    payer_reference = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["patient", "-is_active", "insurer_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(payer_kind="patient"), name="billing_coverage_is_a_third_party"
            ),
        ]

    def __str__(self) -> str:
        number = self.claim_number or self.member_id or self.plan_number
        return f"{self.insurer_name} {number}".strip()


class InvoiceCounter(models.Model):
    """The next invoice number of one clinic, taken under SELECT ... FOR UPDATE when issuing."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"next invoice number {self.next_number}"


class Invoice(PublicIdModel, TimestampedModel):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default="invoice")
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default="draft")
    number = models.PositiveIntegerField(null=True, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who gave the service; named on the receipt with their registration.",
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="For a credit note: the invoice it corrects.",
    )
    service_date = models.DateField()
    currency = models.CharField(max_length=3, default="CAD")
    jurisdiction = models.CharField(max_length=3, help_text="Province whose tax rates apply")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    # What the patient owes after third-party shares (a split bill); equals total when no payer.
    patient_portion = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    note = models.CharField(max_length=300, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-service_date", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "number"], name="billing_invoice_number_unique_per_clinic"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True, issued_at__isnull=True)
                | (~Q(status="draft") & Q(number__isnull=False, issued_at__isnull=False)),
                name="billing_invoice_number_only_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(status="void", voided_at__isnull=False)
                | (~Q(status="void") & Q(voided_at__isnull=True)),
                name="billing_invoice_void_paired",
            ),
            # The lock lets a void set status, time and reason once; a reason alone is no void.
            models.CheckConstraint(
                condition=Q(status="void") | Q(void_reason=""),
                name="billing_invoice_void_reason_only_when_void",
            ),
            # Rounded to cents because SQLite keeps decimals as binary floats.
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") + F("tax_total"), 2)),
                name="billing_invoice_total_is_lines_plus_tax",
            ),
            models.CheckConstraint(
                condition=Q(kind="credit_note", corrects__isnull=False)
                | Q(kind="invoice", corrects__isnull=True),
                name="billing_credit_note_names_its_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "issued_at"]),
            models.Index(fields=["patient", "service_date"]),
        ]

    def __str__(self) -> str:
        label = "Credit note" if self.kind == InvoiceKind.CREDIT_NOTE else "Invoice"
        return f"{label} {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}" if self.number else "(draft)"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    service = models.ForeignKey(
        "scheduling.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    tax_code = models.CharField(max_length=10, choices=TaxCode.choices, default="exempt")
    tax_rate = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("0"), help_text="Percent, at issue"
    )
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["invoice", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: {self.line_total}"


class InvoiceShare(models.Model):
    """The part of an invoice a third party (the coverage) is expected to pay."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="shares")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="shares")
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "coverage"], name="billing_share_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to {self.coverage}"


class Payment(PublicIdModel, TimestampedModel):
    """Money received (positive) or refunded (negative), applied to an invoice or, with no
    invoice, held as the patient's account credit."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    coverage = models.ForeignKey(
        Coverage, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_on = models.DateField()
    reference = models.CharField(
        max_length=60, blank=True, help_text="Terminal or transfer reference; never a card number."
    )
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="billing_payment_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0, refund_of__isnull=True)
                | Q(amount__lt=0, refund_of__isnull=False)
                | Q(amount__lt=0, method="account_credit"),
                name="billing_refunds_are_negative_and_name_the_payment",
            ),
            # A provider's webhook delivered twice records its payment once (billing/online.py).
            models.UniqueConstraint(
                fields=["invoice", "reference"],
                condition=Q(method="online", refund_of__isnull=True, invoice__isnull=False),
                name="billing_online_payment_once",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "received_on"])]


class Claim(PublicIdModel, TimestampedModel):
    """An insurer's share of an invoice, tracked from submission to payment or denial."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    amount_claimed = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(max_length=12, choices=ClaimStatus.choices, default="submitted")
    submitted_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    denial_reason = models.CharField(max_length=300, blank=True)
    external_reference = models.CharField(
        max_length=60, blank=True, help_text="The insurer's or claims network's reference"
    )

    class Meta:
        ordering = ["-submitted_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="denied") | ~Q(denial_reason=""),
                name="billing_denied_claim_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(amount_claimed__gt=0), name="billing_claim_amount_positive"
            ),
        ]


def age_bucket(issued: datetime.date, on: datetime.date) -> str:
    """The accounts-receivable ageing bucket of an invoice issued on `issued`, seen on `on`."""
    days = (on - issued).days
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


AGE_BUCKETS = ("0-30", "31-60", "61-90", "90+")
