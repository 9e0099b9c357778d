"""Forms generated from knowledge instrument definitions, and the admin/analytics forms."""

from django import forms

from imsclinic.core.validation import BoundedDateField
from imsclinic.knowledge import Instrument, score_instrument
from imsclinic.outcomes.models import Timepoint


def _integral(value: float) -> bool:
    return float(value).is_integer()


class QuestionnaireForm(forms.Form):
    """One number field per instrument item, ranges from the instrument; scored in clean()."""

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            whole = _integral(item.min) and _integral(item.max)
            field_class = forms.IntegerField if whole else forms.FloatField
            low = int(item.min) if whole else item.min
            high = int(item.max) if whole else item.max
            self.fields[f"item_{item.id}"] = field_class(
                label=item.text,
                required=not item.optional,
                min_value=low,
                max_value=high,
                help_text=f"{low:g} to {high:g}",
                widget=forms.NumberInput(
                    attrs={
                        "min": low,
                        "max": high,
                        "step": 1 if whole else "any",
                        "inputmode": "numeric",
                    }
                ),
            )

    def answers(self) -> dict:
        return {
            item.id: self.cleaned_data.get(f"item_{item.id}")
            for item in self.instrument.items
            if self.cleaned_data.get(f"item_{item.id}") is not None
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.score = score_instrument(self.instrument, self.answers())
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return cleaned


class StaffQuestionnaireForm(QuestionnaireForm):
    """The clinic-entry version: also asks which timepoint and course it belongs to."""

    def __init__(self, *args, courses=(), initial_timepoint=Timepoint.INTERIM, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timepoint"] = forms.ChoiceField(
            choices=Timepoint.choices, initial=initial_timepoint
        )
        self.fields["course"] = forms.ChoiceField(
            choices=[("", "Not part of a course")] + [(str(c.uuid), str(c)) for c in courses],
            required=False,
            initial=str(courses[0].uuid) if courses else "",
        )
        # Timepoint and course first, then the items.
        self.order_fields(["course", "timepoint"])
        self._courses = {str(c.uuid): c for c in courses}

    def course(self):
        return self._courses.get(self.cleaned_data.get("course") or "")


class ClinicInstrumentForm(forms.Form):
    """Upload a FHIR Questionnaire JSON file and its scoring rule (a built-in rule or JSON)."""

    questionnaire = forms.FileField(
        label="FHIR Questionnaire (JSON)",
        help_text="Exported from your licensed source; resourceType must be Questionnaire.",
    )
    scoring_rule = forms.ChoiceField(label="Scoring rule", required=False)
    scoring_json = forms.CharField(
        label="Or your own scoring rule (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text='e.g. {"method": "percent", "range": [0, 100], "higher_is_better": false, '
        '"item_range": [0, 5], "mcid": 10, "mcid_source": "ostelo_2008"}',
    )

    MAX_BYTES = 512 * 1024

    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.fields["scoring_rule"].choices = [("", "— choose —")] + [
            (rule_id, f"{rule.name} ({rule.abbreviation})") for rule_id, rule in rules.items()
        ]

    def clean_questionnaire(self):
        upload = self.cleaned_data["questionnaire"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 512 KB.")
        return upload.read()

    def clean(self):
        cleaned = super().clean()
        rule, custom = cleaned.get("scoring_rule"), (cleaned.get("scoring_json") or "").strip()
        if bool(rule) == bool(custom):
            raise forms.ValidationError("Choose a scoring rule or paste your own, not both.")
        return cleaned

    def scoring(self):
        """The scoring spec (dict) or raises OutcomeError for malformed JSON."""
        from imsclinic.outcomes.actions import parse_json_document

        if self.cleaned_data.get("scoring_rule"):
            return self.rules[self.cleaned_data["scoring_rule"]].model_dump(mode="json")
        return parse_json_document(self.cleaned_data["scoring_json"], what="scoring rule")


class DischargeForm(forms.Form):
    reason = forms.CharField(
        label="Reason for discharge",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. goals met; no meaningful change after 4 sessions, referred on.",
    )


class AnalyticsFilterForm(forms.Form):
    start = BoundedDateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    condition = forms.ChoiceField(required=False, label="Condition")
    instrument = forms.ChoiceField(required=False, label="Outcome measure")

    def __init__(self, *args, conditions, instruments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].choices = [("", "All conditions")] + list(conditions)
        self.fields["instrument"].choices = list(instruments)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise forms.ValidationError("'From' must be on or before 'To'.")
        return cleaned
