"""Forms of clinic administration. They shape input; the actions decide what is allowed."""

import json
import zoneinfo
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from imsclinic.accounts.models import Clinic, NeedlingAuthorisation, Role
from imsclinic.clinics.policies import FIELD_LABELS, PolicyError, validate_policies
from imsclinic.scheduling.models import Service

ROLE_CHOICES = Role.choices

# Canadian provinces and territories (jurisdiction = CA-XX); region is a free code elsewhere.
REGION_CHOICES = [
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
]


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email")
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial=Role.PRACTITIONER)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles at this clinic",
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Keep at least one role, or use “Offboard”."},
    )


class RegistrationForm(forms.Form):
    profession = forms.CharField(label="Profession", max_length=80, initial="Physiotherapist")
    regulator = forms.CharField(label="Regulator", max_length=200)
    jurisdiction = forms.CharField(
        label="Jurisdiction", max_length=6, help_text="Country and province, e.g. CA-AB."
    )
    number = forms.CharField(label="Registration number", max_length=60)
    expires_on = forms.DateField(
        label="Expires on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AuthorisationForm(forms.Form):
    jurisdiction = forms.CharField(
        label="Jurisdiction", max_length=6, help_text="Country and province, e.g. CA-AB."
    )
    authority = forms.CharField(label="Granted by", max_length=200)
    number = forms.CharField(label="Authorisation number", max_length=60)
    modality = forms.ChoiceField(label="Covers", choices=NeedlingAuthorisation.Modality.choices)
    issued_on = forms.DateField(label="Issued on", widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if (
            data.get("issued_on")
            and data.get("expires_on")
            and data["expires_on"] < data["issued_on"]
        ):
            self.add_error("expires_on", "An authorisation cannot expire before it was issued.")
        return data


class LeadTimesField(forms.CharField):
    """Reminder lead times typed as a person would: “48, 2” (commas or spaces, whole hours).
    The policy schema checks the bounds and repeats; this only reads the numbers."""

    def __init__(self, **kwargs):
        super().__init__(max_length=60, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(hours) for hours in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        parts = [part for part in text.replace(",", " ").split() if part]
        if not parts:
            return []
        try:
            hours = [int(part) for part in parts]
        except ValueError:
            raise forms.ValidationError(
                "Write whole hours separated by commas, e.g. 48, 2."
            ) from None
        return hours


def _time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ClinicSettingsForm(forms.ModelForm):
    """The clinic's details and its policies. Policy fields are validated together by the
    pydantic schema (clinics.policies); its messages land on the matching field."""

    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    time_zone = forms.ChoiceField(label="Time zone", choices=_time_zone_choices)
    region = forms.ChoiceField(label="Province or territory", choices=REGION_CHOICES)

    cancellation_hours = forms.IntegerField(
        label="Cancellation window (hours)",
        help_text="Patients may cancel online up to this many hours before the visit.",
    )
    online_min_notice_hours = forms.IntegerField(
        label="Online booking notice (hours)",
        help_text="The earliest online booking is this many hours from now.",
    )
    reminder_lead_hours = LeadTimesField(
        label="Reminders (hours before the visit)",
        help_text="One reminder by email and one by text message at each of these times, "
        "e.g. “48, 2” for two days and two hours before. Up to four.",
    )
    flag_late_cancellations = forms.BooleanField(label="Flag late cancellations", required=False)
    late_cancel_fee = forms.DecimalField(
        label="Late-cancellation fee", max_digits=8, decimal_places=2, required=False
    )
    flag_no_shows = forms.BooleanField(label="Flag no-shows", required=False)
    no_show_fee = forms.DecimalField(
        label="No-show fee", max_digits=8, decimal_places=2, required=False
    )
    consent_min_age = forms.IntegerField(
        label="Age of consent (years)",
        help_text="Younger patients need a parent or guardian's consent.",
    )
    screening = forms.CharField(
        label="Screening policy",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Rules stricter than the default screening, written as JSON (docs/admin.md "
        "lists them, e.g. a longer wait after surgery). Leave empty for the defaults.",
    )

    POLICY_FIELDS = (
        "cancellation_hours",
        "online_min_notice_hours",
        "reminder_lead_hours",
        "flag_late_cancellations",
        "late_cancel_fee",
        "flag_no_shows",
        "no_show_fee",
        "consent_min_age",
        "screening",
    )

    class Meta:
        model = Clinic
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "phone",
            "email",
            "website",
            "time_zone",
            "region",
            "require_staff_2fa",
        ]
        labels = {
            "address_line1": "Address",
            "address_line2": "Address (line 2)",
            "require_staff_2fa": "Staff must use two-step sign-in",
        }

    def __init__(self, *args, policies, **kwargs):
        self.stored_policies = policies  # ClinicPolicies: the current values, defaults filled in
        super().__init__(*args, **kwargs)
        self.fields["region"].help_text = "Where the clinic's needling rules come from."
        if not self.is_bound:
            for name in self.POLICY_FIELDS:
                value = getattr(policies, name)
                self.initial[name] = (
                    json.dumps(value)
                    if name == "screening" and value
                    else ("" if name == "screening" else value)
                )

    def clean_screening(self):
        text = self.cleaned_data["screening"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError("Write the screening policy as JSON, e.g. {}.") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("The screening policy is a JSON object, e.g. {}.")
        return value

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in self.POLICY_FIELDS):
            return data
        policies = self.stored_policies.model_dump()  # keeps keys without a field here
        for name in self.POLICY_FIELDS:
            value = data.get(name)
            if name in ("late_cancel_fee", "no_show_fee") and value is None:
                value = Decimal("0.00")
            policies[name] = value
        try:
            self.validated_policies = validate_policies(policies).to_json()
        except PolicyError as exc:
            for field, message in exc.errors.items():
                if field in self.fields:
                    self.add_error(field, message)
                else:
                    self.add_error(None, f"{FIELD_LABELS.get(field, field)}: {message}")
        return data

    def clinic_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LogoForm(forms.Form):
    logo = forms.FileField(
        label="Logo file (PNG or JPEG)",
        help_text="PNG or JPEG, up to 1 MB. It is shown on the clinic's public page, at the top "
        "of staff pages and on reports, invoices and receipts.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        error_messages={"required": "Choose a PNG or JPEG file."},
    )


class ServiceForm(forms.ModelForm):
    video_url = forms.URLField(
        label="Video room link", required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "kind",
            "mode",
            "duration_minutes",
            "buffer_minutes",
            "colour",
            "bookable_online",
            "price",
            "position",
            "video_url",
        ]
        labels = {
            "kind": "Type of visit",
            "mode": "Where",
            "duration_minutes": "Length (minutes)",
            "buffer_minutes": "Buffer after (minutes)",
            "colour": "Calendar colour",
            "bookable_online": "Patients may book it online",
            "price": "Price",
            "position": "Order in lists",
            "video_url": "Video room link",
        }
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "kind"
        ].help_text = "Ties the service to the care pathway: an assessment comes before treatment."
        self.fields["video_url"].help_text = (
            "Video services only: the https:// room every booking of it gets (staff can give an "
            "appointment its own link instead, e.g. the practitioner's room)."
        )

    def _post_clean(self):
        super()._post_clean()
        # Django words the unique (clinic, name) constraint as "Service with this Clinic and
        # Name already exists."; say it in the clinic's terms, on the name field.
        name = self.cleaned_data.get("name")
        duplicate = Service.objects.filter(clinic_id=self.instance.clinic_id, name__iexact=name)
        if name and duplicate.exclude(pk=self.instance.pk).exists():
            self._errors.pop(NON_FIELD_ERRORS, None)
            self.add_error("name", "This clinic already has a service with that name.")
