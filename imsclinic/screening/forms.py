"""Forms for the public self-screening, built from the knowledge base's questions."""

import datetime

from django import forms
from django.utils import timezone

from imsclinic.patients.forms import PatientForm, refuse_birth_in_the_future
from imsclinic.screening.models import TREATMENTS_TRIED, RequestStatus
from imsclinic.screening.services import body_area_choices, question_groups

YES_NO = [("yes", "Yes"), ("no", "No")]
AGE_FIELD = "age_years"


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# Plain-language choices for how long the pain has lasted, mapped to months for the engine.
DURATION_CHOICES = [
    ("", "Choose one"),
    ("0.5", "Less than a month"),
    ("2", "1 to 3 months"),
    ("4.5", "3 to 6 months"),
    ("9", "6 to 12 months"),
    ("18", "1 to 2 years"),
    ("48", "More than 2 years"),
    ("unknown", "I'm not sure"),
]


class ScreeningForm(forms.Form):
    """One field per knowledge-base question, plus where it hurts and what was tried.

    Yes/no questions have no pre-selected answer: a safety question left at a silent default
    would be unsafe, so each must be answered.
    """

    pain_regions = forms.MultipleChoiceField(
        label="Where is your pain?",
        help_text="Tick every area that hurts.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one area where you have pain."},
    )
    treatments_tried = forms.MultipleChoiceField(
        label="What have you tried for this pain?",
        choices=TREATMENTS_TRIED,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    treatments_other = forms.CharField(
        label="Anything else you have tried", max_length=300, required=False
    )

    def __init__(self, *args, date_of_birth: datetime.date | None = None, **kwargs):
        """`date_of_birth`: already known (a portal patient), so it is not asked again."""
        super().__init__(*args, **kwargs)
        self.known_date_of_birth = date_of_birth
        self.fields["pain_regions"].choices = body_area_choices()
        self.groups = []
        for key, heading, questions in question_groups():
            names = []
            if key == "pain":
                names += ["pain_regions"]
            for q in questions:
                if q["field"] == AGE_FIELD and date_of_birth is not None:
                    continue
                self.fields[q["field"]] = self._field_for(q)
                names.append(q["field"])
            if key == "pain":
                names += ["treatments_tried", "treatments_other"]
            self.groups.append((key, heading, names))

    @staticmethod
    def _field_for(question: dict) -> forms.Field:
        label, help_text = question["question"], question["help"]
        if question["field"] == "pain_duration_months":
            return forms.ChoiceField(
                label="How long have you had this pain?",
                choices=DURATION_CHOICES,
                help_text="An estimate is fine.",
                error_messages={"required": "Choose how long you have had the pain."},
            )
        if question["field"] == AGE_FIELD:
            # The age comes from the date of birth: one entry, and it is right next year too.
            return forms.DateField(
                label="What is your date of birth?",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text="We work out your age from it; young people need a parent or "
                "guardian involved in the decision.",
            )
        if question["type"] == "choices":
            # Ticking nothing is an answer ("none"), so the field is always present.
            return forms.MultipleChoiceField(
                label=label,
                help_text=help_text,
                choices=list(question["choices"].items()),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if question["type"] == "boolean":
            return forms.ChoiceField(
                label=label,
                help_text=help_text,
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": "Please answer yes or no."},
            )
        return forms.FloatField(
            label=label,
            help_text=help_text,
            required=False,
            min_value=question["minimum"],
            max_value=question["maximum"],
        )

    def clean_age_years(self):
        born = self.cleaned_data.get(AGE_FIELD)
        if born is None:
            return None
        today = timezone.localdate()
        if born > today or age_on(born, today) > 120:
            raise forms.ValidationError("Enter your real date of birth.")
        return born

    def bound_groups(self):
        return [
            (key, heading, [self[name] for name in names]) for key, heading, names in self.groups
        ]

    def screening(self) -> dict:
        """The cleaned data as {"answers": ..., "pain_regions": ..., ...} for the engine."""
        data = self.cleaned_data
        answers = {}
        for _key, _heading, names in self.groups:
            for name in names:
                if name in ("pain_regions", "treatments_tried", "treatments_other"):
                    continue
                value = data.get(name)
                if name == AGE_FIELD:
                    answers[name] = age_on(value, timezone.localdate()) if value else None
                elif name == "pain_duration_months":
                    answers[name] = None if value in ("unknown", "", None) else float(value)
                elif isinstance(self.fields[name], forms.MultipleChoiceField):
                    answers[name] = list(value or [])
                elif isinstance(self.fields[name], forms.ChoiceField):
                    answers[name] = value == "yes"
                else:
                    answers[name] = value
        born = data.get(AGE_FIELD) or self.known_date_of_birth
        if self.known_date_of_birth is not None:
            answers[AGE_FIELD] = age_on(self.known_date_of_birth, timezone.localdate())
        return {
            "answers": answers,
            "date_of_birth": born.isoformat() if born else None,
            "pain_regions": data["pain_regions"],
            "treatments_tried": data.get("treatments_tried", []),
            "treatments_other": data.get("treatments_other", ""),
        }


class ContactForm(forms.Form):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Helps the clinic find your record.",
    )
    message = forms.CharField(
        label="Anything you'd like the clinic to know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agree = forms.BooleanField(
        label="The clinic may keep my answers and contact me about an assessment.",
        error_messages={"required": "Please agree so that the clinic can contact you."},
    )

    def __init__(self, *args, clinic, **kwargs):
        self.clinic = clinic  # whose calendar day "in the future" is judged by
        super().__init__(*args, **kwargs)

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born:
            refuse_birth_in_the_future(born, self.clinic)
        return born

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        digits = "".join(c for c in phone if c.isdigit())
        if phone and not 7 <= len(digits) <= 15:
            raise forms.ValidationError("Enter a phone number of 7 to 15 digits.")
        return phone

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone") and not self.errors.get("phone"):
            raise forms.ValidationError("Leave an email address or a phone number.")
        return data

    def contact(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "agree"}


class BookingContactForm(ContactForm):
    """Contact details for booking online: date of birth and email are required."""

    slot = forms.ChoiceField(label="Choose a time", widget=forms.RadioSelect)
    mode = forms.ChoiceField(
        label="How would you like to be seen?",
        choices=[("in_clinic", "In the clinic"), ("video", "By video")],
        initial="in_clinic",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, slot_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slot_choices
        self.fields["slot"].error_messages["invalid_choice"] = (
            "That time is no longer available; please choose another."
        )
        self.fields["date_of_birth"].required = True
        self.fields["email"].required = True
        self.fields["email"].help_text = "We send your confirmation here."
        self.fields["agree"].label = "The clinic may keep my answers and contact me about my visit."


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=RequestStatus.choices)
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class IntakePatientForm(PatientForm):
    """The registration form, pre-filled from the request."""
