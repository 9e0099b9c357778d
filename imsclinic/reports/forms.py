from django import forms


class ReportTextForm(forms.Form):
    """What the practitioner writes before issuing: recipient, cover letter, narrative, plan."""

    recipient_name = forms.CharField(
        label="Recipient",
        max_length=200,
        required=False,
        help_text="For example the referring physician. Leave empty for the patient's record.",
    )
    recipient_address = forms.CharField(
        label="Recipient's address",
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cover_letter = forms.CharField(
        label="Cover letter (optional)",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Printed as a letter on the first page, before the report.",
    )
    narrative = forms.CharField(
        label="Summary",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Pre-filled from the record; edit it before issuing.",
    )
    plan = forms.CharField(label="Plan", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
