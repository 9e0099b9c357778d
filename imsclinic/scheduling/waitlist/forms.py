"""Forms of the waitlist pages: an entry (add and edit), the list's filter, the offer."""

from django import forms

from imsclinic.core.validation import BoundedDateField
from imsclinic.scheduling.forms import PractitionerChoiceField, ServiceChoiceField
from imsclinic.scheduling.models import Service
from imsclinic.scheduling.waitlist.actions import DEFAULT_OFFER_HOURS, MAX_OFFER_HOURS
from imsclinic.scheduling.waitlist.matching import RANKINGS
from imsclinic.scheduling.waitlist.models import WEEKDAY_NAMES, DayPart, EntryStatus


def _bits(values) -> int:
    return sum(int(v) for v in values)


class EntryForm(forms.Form):
    service = ServiceChoiceField(queryset=None, to_field_name="uuid", empty_label=None)
    practitioner = PractitionerChoiceField(
        queryset=None, to_field_name="uuid", required=False, empty_label="Any practitioner"
    )
    days = forms.MultipleChoiceField(
        label="Days the patient can come",
        choices=[(str(1 << i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one day."},
    )
    day_parts = forms.MultipleChoiceField(
        label="Times of day",
        choices=[(str(v), label) for v, label in DayPart.choices],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one time of day."},
    )
    earliest_date = BoundedDateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    latest_date = BoundedDateField(
        label="Until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="After this date the entry expires.",
    )
    notes = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, clinic, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(clinic=clinic, is_active=True)
        self.fields["practitioner"].queryset = practitioners

    @staticmethod
    def initial_for_new(clinic) -> dict:
        """A new entry: weekdays, any time of day, from today."""
        return {
            "days": [str(1 << i) for i in range(5)],
            "day_parts": [str(v) for v in DayPart.values],
            "earliest_date": clinic.today(),
        }

    @staticmethod
    def initial_for(entry) -> dict:
        return {
            "service": entry.service.uuid,
            "practitioner": entry.practitioner.uuid if entry.practitioner else None,
            "days": [str(1 << i) for i in range(7) if entry.days & (1 << i)],
            "day_parts": [str(v) for v in DayPart.values if entry.day_parts & v],
            "earliest_date": entry.earliest_date,
            "latest_date": entry.latest_date,
            "notes": entry.notes,
        }

    def fields_for_action(self) -> dict:
        data = self.cleaned_data
        return {
            "service": data["service"],
            "practitioner": data["practitioner"],
            "days": _bits(data["days"]),
            "day_parts": _bits(data["day_parts"]),
            "earliest_date": data["earliest_date"],
            "latest_date": data["latest_date"],
            "notes": data["notes"],
        }


class PortalEntryForm(EntryForm):
    """The same entry, asked for by the patient in the portal: the services she could book
    online, in her own words."""

    def __init__(self, *args, clinic, practitioners, **kwargs):
        super().__init__(*args, clinic=clinic, practitioners=practitioners, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            clinic=clinic, is_active=True, bookable_online=True
        )
        self.fields["service"].label = "Visit"
        self.fields["days"].label = "Days you can come"
        self.fields["earliest_date"].label = "From"
        self.fields["latest_date"].help_text = "After this date we stop looking."
        self.fields["notes"].label = "Anything the clinic should know (optional)"


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Still waiting"), *EntryStatus.choices, ("all", "All")],
    )
    service = ServiceChoiceField(
        queryset=None, to_field_name="uuid", required=False, empty_label="Any service"
    )
    practitioner = PractitionerChoiceField(
        queryset=None, to_field_name="uuid", required=False, empty_label="Any practitioner"
    )
    q = forms.CharField(required=False, max_length=100, label="Patient name")

    def __init__(self, *args, clinic, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(clinic=clinic)
        self.fields["practitioner"].queryset = practitioners


class RankForm(forms.Form):
    rank = forms.ChoiceField(required=False, choices=list(RANKINGS.items()), label="Order")


class OfferForm(forms.Form):
    hours = forms.IntegerField(
        label="Hours to answer",
        min_value=1,
        max_value=MAX_OFFER_HOURS,
        initial=DEFAULT_OFFER_HOURS,
        help_text="The offer also ends when the time starts.",
    )
    email = forms.BooleanField(required=False, initial=True, label="By email")
    sms = forms.BooleanField(required=False, initial=True, label="By text message")


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label="Reason (optional)")
