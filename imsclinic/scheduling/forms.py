"""Forms for the staff schedule: booking (one visit or a course), hours, time off, instructions."""

import datetime

from django import forms

from imsclinic.scheduling.actions import (
    SERIES_MAX_COUNT,
    SERIES_MAX_INTERVAL,
    SERIES_MIN_INTERVAL,
)
from imsclinic.scheduling.availability import local_datetime
from imsclinic.scheduling.models import WEEKDAYS, Kind, Mode, Status


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.duration_minutes} min)"


class BookingForm(forms.Form):
    practitioner = PractitionerChoiceField(queryset=None, to_field_name="uuid", empty_label=None)
    service = ServiceChoiceField(
        queryset=None,
        to_field_name="uuid",
        required=False,
        empty_label="By type (default length)",
        help_text="A service sets the type, the length and the time kept free after it.",
    )
    kind = forms.ChoiceField(label="Type", choices=Kind.choices)
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.IN_CLINIC)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 300}))
    repeat = forms.IntegerField(
        label="Number of visits",
        min_value=1,
        max_value=SERIES_MAX_COUNT,
        initial=1,
        help_text="More than 1 books a course of care in one step, e.g. weekly × 6.",
    )
    interval_days = forms.IntegerField(
        label="Days between visits",
        min_value=SERIES_MIN_INTERVAL,
        max_value=SERIES_MAX_INTERVAL,
        initial=7,
        help_text="7 to 14.",
    )
    notes = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    same_day_override_reason = forms.CharField(
        label="Reason for a second needling visit today",
        required=False,
        max_length=300,
        help_text="Only when the patient already has an IMS treatment that day.",
    )

    def __init__(self, *args, practitioners, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        from imsclinic.scheduling.models import Service

        self.clinic = clinic
        self.fields["practitioner"].queryset = practitioners
        self.fields["service"].queryset = Service.objects.filter(clinic=clinic, is_active=True)

    def starts_at(self) -> datetime.datetime:
        return local_datetime(self.cleaned_data["date"], self.cleaned_data["time"], self.clinic.tz)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[c for c in Status.choices if c[0] != Status.CANCELLED])


class VideoLinkForm(forms.Form):
    video_url = forms.CharField(
        label="Video link",
        max_length=500,
        help_text="The https:// address the patient opens, e.g. the practitioner's video room. "
        "The patient is emailed it with an updated calendar file.",
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label="Reason (optional)")


class AvailabilityForm(forms.Form):
    practitioner = PractitionerChoiceField(queryset=None, to_field_name="uuid", empty_label=None)
    weekday = forms.TypedChoiceField(coerce=int, choices=list(enumerate(WEEKDAYS)))
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class ExceptionForm(forms.Form):
    practitioner = PractitionerChoiceField(queryset=None, to_field_name="uuid", empty_label=None)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    is_available = forms.TypedChoiceField(
        label="Change",
        coerce=lambda v: v == "extra",
        choices=[("off", "Time off"), ("extra", "Extra hours")],
    )
    start_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Leave both times empty for a whole day off.",
    )
    end_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners


class InstructionForm(forms.Form):
    before_visit = forms.CharField(
        label="Before the visit", widget=forms.Textarea(attrs={"rows": 7}), max_length=5000
    )
    aftercare = forms.CharField(
        label="Aftercare", widget=forms.Textarea(attrs={"rows": 9}), max_length=5000
    )


class RescheduleForm(forms.Form):
    practitioner = PractitionerChoiceField(queryset=None, to_field_name="uuid", empty_label=None)
    date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label="New time", widget=forms.TimeInput(attrs={"type": "time", "step": 300})
    )
    whole_course = forms.BooleanField(
        label="Move the rest of the course too",
        required=False,
        help_text="Every later booked visit of the course keeps its spacing at the new time.",
    )
    reason = forms.CharField(required=False, max_length=200, label="Reason (optional)")

    def __init__(self, *args, practitioners, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["practitioner"].queryset = practitioners

    def starts_at(self) -> datetime.datetime:
        return local_datetime(self.cleaned_data["date"], self.cleaned_data["time"], self.clinic.tz)


class ClosureForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=120, label="Name", help_text="e.g. Staff training")


class HolidaysForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


def replacements_from(data, clinic) -> dict[int, datetime.datetime]:
    """The alternatives picked on a conflict list: fields `replace_<position>` holding
    YYYY-MM-DDTHH:MM in clinic-local time. Malformed values are ignored (the date stays in
    conflict and is shown again)."""
    picked = {}
    for key, value in data.items():
        if not key.startswith("replace_"):
            continue
        try:
            index = int(key.removeprefix("replace_"))
            local = datetime.datetime.fromisoformat(value)
        except ValueError:
            continue
        picked[index] = local_datetime(local.date(), local.time(), clinic.tz)
    return picked
