"""Billing forms: they only parse what was typed. Every rule (amounts, who may do what, what an
issued invoice allows) lives in billing/actions.py, whose BillingError names the field."""

from django import forms

from imsclinic.billing.models import ClaimStatus, PayerKind, PaymentMethod, Relationship, TaxCode

AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class LineForm(forms.Form):
    description = forms.CharField(max_length=200)
    quantity = forms.DecimalField(max_digits=7, decimal_places=2, initial=1, min_value=0)
    unit_price = forms.DecimalField(label="Unit price", **AMOUNT)
    discount = forms.DecimalField(initial=0, required=False, **AMOUNT)
    tax_code = forms.ChoiceField(label="Tax", choices=TaxCode.choices)


class SplitForm(forms.Form):
    coverage = forms.ChoiceField(label="Payer")
    amount = forms.DecimalField(label="Payer's share", **AMOUNT)


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.ONLINE]
    )
    amount = forms.DecimalField(**AMOUNT)
    coverage = forms.ChoiceField(
        label="Insurer (direct payment only)", required=False, choices=[("", "—")]
    )
    reference = forms.CharField(
        max_length=60,
        required=False,
        help_text="The terminal's or transfer's reference. Never a card number.",
    )


class RefundForm(forms.Form):
    payment = forms.ChoiceField(label="Payment to refund")
    amount = forms.DecimalField(**AMOUNT)
    reason = forms.CharField(max_length=300)


class CreditForm(forms.Form):
    amount = forms.DecimalField(label="Amount to credit", **AMOUNT)
    reason = forms.CharField(max_length=300, label="What it corrects")


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why the invoice is void")


class ClaimForm(forms.Form):
    coverage = forms.ChoiceField(label="Insurer")
    amount = forms.DecimalField(
        required=False, help_text="Leave empty to claim the payer's share.", **AMOUNT
    )


class DecideForm(forms.Form):
    claim = forms.ChoiceField()
    status = forms.ChoiceField(
        label="Insurer's answer",
        choices=[
            (ClaimStatus.PAID, "Paid"),
            (ClaimStatus.DENIED, "Denied"),
            (ClaimStatus.RESUBMITTED, "Resubmitted"),
        ],
    )
    amount_paid = forms.DecimalField(
        label="Amount paid", required=False, help_text="Empty: the amount claimed.", **AMOUNT
    )
    reason = forms.CharField(max_length=300, required=False, label="Reason for a denial")


class CoverageForm(forms.Form):
    payer_kind = forms.ChoiceField(
        label="Kind of payer", choices=[c for c in PayerKind.choices if c[0] != PayerKind.PATIENT]
    )
    insurer_name = forms.CharField(max_length=120, label="Insurer or board")
    plan_number = forms.CharField(max_length=60, required=False, label="Plan or policy number")
    member_id = forms.CharField(max_length=60, required=False, label="Member ID")
    relationship = forms.ChoiceField(
        label="Relationship to the plan member", choices=Relationship.choices
    )
    plan_member_name = forms.CharField(max_length=200, required=False, label="Plan member")
    claim_number = forms.CharField(
        max_length=60, required=False, help_text="WCB and auto claims need one."
    )


class ReportPeriodForm(forms.Form):
    """The day (close-out, ageing) or year (revenue, fees) a report covers; empty means today."""

    day = forms.DateField(
        required=False, label="Day", widget=forms.DateInput(attrs={"type": "date"})
    )
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100)


class AccountantExportForm(forms.Form):
    """The accountant's CSV: invoices and payments from `start` to `end` (clinic days)."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
