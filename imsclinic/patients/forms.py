from django import forms

from imsclinic.core.validation import NoControlCharactersMixin
from imsclinic.patients.models import LANGUAGE_CHOICES, Patient, phone_digits

DEMOGRAPHIC_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "pronouns",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "health_card_number",
    "health_card_region",
    "insurer",
    "insurance_number",
    "preferred_language",
    "referring_physician",
]


def refuse_birth_in_the_future(born, clinic) -> None:
    """ "In the future" is judged by the clinic's own calendar day, not the server's: a child born
    this morning in Sydney is born "tomorrow" by the date in UTC. Every form with a birth date
    (registration, the public contact forms) asks here."""
    if born > clinic.today():
        raise forms.ValidationError("Date of birth cannot be in the future.")


class PatientForm(NoControlCharactersMixin, forms.ModelForm):
    """Demographics and contacts. Cleans and normalises; rules that span records live in actions."""

    preferred_language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en")

    def __init__(self, *args, clinic, **kwargs):
        self.clinic = clinic  # whose calendar day a birth date must not be after
        super().__init__(*args, **kwargs)

    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        refuse_birth_in_the_future(born, self.clinic)
        if born.year < self.clinic.today().year - 125:
            raise forms.ValidationError("Please check the year of birth.")
        return born

    def _clean_phone(self, field):
        value = self.cleaned_data.get(field, "").strip()
        if value and not 7 <= len(phone_digits(value)) <= 15:
            raise forms.ValidationError("Enter a phone number with 7 to 15 digits.")
        return value

    def clean_phone(self):
        return self._clean_phone("phone")

    def clean_emergency_contact_phone(self):
        return self._clean_phone("emergency_contact_phone")

    def clean_region(self):
        return self.cleaned_data.get("region", "").strip().upper()

    def clean_health_card_region(self):
        return self.cleaned_data.get("health_card_region", "").strip().upper()


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
