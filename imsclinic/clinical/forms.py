"""Forms of the clinical area. They validate input; the actions enforce the safety rules."""

from django import forms

from imsclinic.clinical import bodychart, safety
from imsclinic.clinical.models import (
    AdverseEvent,
    CourseOfCare,
    NeedlingRow,
    PrecautionClearance,
    TreatmentSession,
)
from imsclinic.knowledge import load_knowledge

SEGMENT_LABEL_HELP = "Segments with side, e.g. L5-R, S1-R (comma-separated)."


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()]


def clean_segment_labels(value: str) -> list[str]:
    kb = load_knowledge()
    labels = []
    for label in _split(value):
        segment, _, side = label.upper().partition("-")
        if segment not in kb.segments or side not in ("", "L", "R"):
            raise forms.ValidationError(f"{label!r} is not a segment like C6-R or L5-L.")
        labels.append(f"{segment}-{side}" if side else segment)
    return list(dict.fromkeys(labels))


class MuscleField(forms.CharField):
    """A knowledge muscle by id, name or synonym (the picker offers names; ids also work)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        from imsclinic.knowledge import MuscleLookupError

        kb = load_knowledge()
        if value in kb.muscles:
            return value
        name = value.split(" · ")[0]
        try:
            return kb.find_muscle(name).id
        except MuscleLookupError as error:
            raise forms.ValidationError(str(error)) from error


class HistoryForm(forms.Form):
    pain_pattern = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    onset = forms.CharField(max_length=200, required=False)
    duration_months = forms.IntegerField(min_value=0, max_value=1200, required=False)
    treatments_tried = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    medications = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    comorbidities = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    working_diagnosis = forms.CharField(max_length=300, required=False)
    condition_id = forms.ChoiceField(required=False, label="Condition")
    icd10_codes = forms.CharField(
        required=False, label="ICD-10 codes", help_text="Comma-separated, e.g. M54.5, M79.1"
    )
    accepted_segments = forms.CharField(
        required=False, label="Accepted segments", help_text=SEGMENT_LABEL_HELP
    )
    range_of_motion = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One movement per line: 'Lumbar flexion: 50%, painful'.",
    )
    enlarged_nerves = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Enlarged or tender nerves",
        help_text="One per line: nerve and place, then side ('Ulnar nerve at the elbow, L').",
    )
    temperature_difference_c = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=10,
        max_digits=3,
        decimal_places=1,
        label="Measured temperature difference (°C)",
        help_text="Skin temperature, affected side against the other side.",
    )
    temperature_site = forms.CharField(
        required=False,
        max_length=200,
        label="Where the temperature was measured",
        help_text="e.g. 'Lateral calf, right colder'.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        conditions = load_knowledge().conditions.values()
        self.fields["condition_id"].choices = [("", "—")] + [(c.id, c.name) for c in conditions]

    def clean_icd10_codes(self):
        codes = [code.upper() for code in _split(self.cleaned_data["icd10_codes"])]
        for code in codes:
            if not (3 <= len(code) <= 8 and code[0].isalpha() and code[1:3].isdigit()):
                raise forms.ValidationError(f"{code!r} does not look like an ICD-10 code.")
        return codes

    def clean_accepted_segments(self):
        return clean_segment_labels(self.cleaned_data["accepted_segments"])

    def clean_enlarged_nerves(self):
        rows = []
        for line in (self.cleaned_data["enlarged_nerves"] or "").splitlines():
            if not line.strip():
                continue
            nerve, _, side = line.rpartition(",")
            side = side.strip().upper()[:1]
            if not nerve.strip() or side not in ("L", "R"):
                raise forms.ValidationError(f"{line.strip()!r}: write the nerve, then L or R.")
            rows.append({"nerve": nerve.strip()[:200], "side": side})
        return rows

    def clean(self):
        data = super().clean()
        if data.get("temperature_difference_c") is not None and not data.get("temperature_site"):
            self.add_error("temperature_site", "Say where the temperature was measured.")
        return data

    def clean_range_of_motion(self):
        rows = []
        for line in (self.cleaned_data["range_of_motion"] or "").splitlines():
            if not line.strip():
                continue
            movement, _, value = line.partition(":")
            rows.append(
                {
                    "movement": movement.strip(),
                    "value": value.replace("painful", "").strip(" ,"),
                    "painful": "painful" in value.lower(),
                }
            )
        return rows


class RetestForm(forms.Form):
    what = forms.CharField(max_length=200, label="Sign or movement re-tested")
    before = forms.CharField(max_length=100, label="Before needling")
    after = forms.CharField(max_length=100, label="After needling")


class FindingForm(forms.Form):
    muscle = MuscleField(label="Muscle", max_length=120)
    side = forms.ChoiceField(choices=[("R", "Right"), ("L", "Left")])
    grade = forms.ChoiceField(
        choices=[("tender", "Tender"), ("taut", "Taut band"), ("shortened", "Shortened")]
    )


class CourseForm(forms.Form):
    target_segments = forms.CharField(help_text=SEGMENT_LABEL_HELP)
    target_muscles = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One per line: muscle name, side (e.g. 'Gluteus medius, R').",
    )
    planned_sessions = forms.IntegerField(min_value=1, max_value=52, initial=8)
    frequency_days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Every N days")
    review_at_session = forms.IntegerField(min_value=1, max_value=52, initial=4)
    goals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Goals (PSFS activities)",
        help_text="One per line: activity, then today's score 0-10 ('Sit for an hour: 3').",
    )

    def clean_target_segments(self):
        labels = clean_segment_labels(self.cleaned_data["target_segments"])
        if not labels:
            raise forms.ValidationError("Name at least one target segment.")
        return labels

    def clean_target_muscles(self):
        kb = load_knowledge()
        rows = []
        for line in (self.cleaned_data["target_muscles"] or "").splitlines():
            if not line.strip():
                continue
            name, _, side = line.rpartition(",")
            if not name:
                name, side = side, ""
            side = side.strip().upper()[:1]
            if side not in ("L", "R"):
                raise forms.ValidationError(f"{line.strip()!r}: give the side, L or R.")
            try:
                muscle = kb.find_muscle(name.strip())
            except Exception as error:  # noqa: BLE001 - knowledge lookup errors carry the hint
                raise forms.ValidationError(str(error)) from error
            rows.append({"muscle_id": muscle.id, "side": side})
        return rows

    def clean_goals(self):
        goals = []
        for line in (self.cleaned_data["goals"] or "").splitlines():
            if not line.strip():
                continue
            activity, _, score = line.rpartition(":")
            try:
                value = int(score.strip())
            except ValueError:
                raise forms.ValidationError(
                    f"{line.strip()!r}: end with ': score' (0-10)."
                ) from None
            if not activity.strip() or not 0 <= value <= 10:
                raise forms.ValidationError(f"{line.strip()!r}: a score is 0 to 10.")
            goals.append({"activity": activity.strip(), "baseline_score": value})
        return goals


class ConsentForm(forms.Form):
    shown_version = forms.IntegerField(widget=forms.HiddenInput)
    signature_name = forms.CharField(
        max_length=200,
        label="Full name of the person signing (typed by them as signature)",
        help_text="The patient's own name, or the name of the person signing for them.",
    )
    signer_relationship = forms.CharField(
        max_length=80,
        required=False,
        label="Signing for the patient: relationship to the patient",
        help_text="Only when someone else signs, e.g. parent, legal guardian, power of attorney. "
        "Leave empty when the patient signs.",
    )
    mature_minor_assessment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Patient under the clinic's consent age signing alone: your assessment",
        help_text="Why you judge this young person a mature minor: what they understood about "
        "the treatment, its risks and the options, and that the decision is their own.",
    )
    covers_thorax = forms.BooleanField(
        required=False,
        label="Needling over the thorax (chest wall, upper back, shoulder, neck) and the "
        "pneumothorax risk were explained",
    )
    understood = forms.BooleanField(
        label="The patient read the text, had the chance to ask questions and agrees"
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class ConsentTextForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}))
    covers_thorax = forms.BooleanField(
        required=False, label="The text names the pneumothorax risk of needling over the thorax"
    )

    def clean(self):
        data = super().clean()
        body = (data.get("body") or "").lower()
        if data.get("covers_thorax") and "pneumothorax" not in body:
            self.add_error("covers_thorax", "The text does not mention pneumothorax.")
        required = ["bruis", "sore", "faint", "fatigue", "drows", "infection", "nerve"]
        missing = [word for word in required if word not in body]
        if missing:
            self.add_error(
                "body",
                "Consent must name the material risks: bruising, soreness, fainting, fatigue, "
                "drowsiness, infection and nerve or vessel injury.",
            )
        return data


class SessionForm(forms.ModelForm):
    skin_prep = forms.BooleanField(required=False, label="Skin prepared")
    hand_hygiene = forms.BooleanField(required=False, label="Hand hygiene")
    sharps = forms.BooleanField(required=False, label="Needles into sharps container")

    class Meta:
        model = TreatmentSession
        fields = [
            "pain_before",
            "pain_after",
            "needles_in",
            "needles_out",
            "duration_minutes",
            "aftercare_given",
            "notes",
            "lamina_technique",
        ]
        labels = {
            "lamina_technique": "Thoracic paraspinals on both sides were needled onto the lamina",
            "pain_before": "Pain before (NPRS 0-10)",
            "pain_after": "Pain after (NPRS 0-10)",
            "needles_in": "Needles in",
            "needles_out": "Needles out",
            "duration_minutes": "Duration (minutes)",
        }
        widgets = {
            "aftercare_given": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "pain_before": forms.NumberInput(attrs={"min": 0, "max": 10}),
            "pain_after": forms.NumberInput(attrs={"min": 0, "max": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clean = self.instance.clean_technique or {}
        for key in ("skin_prep", "hand_hygiene", "sharps"):
            self.fields[key].initial = bool(clean.get(key))
        # The on-lamina record only exists where the clinic's policy allows it.
        if not (self.instance.pk and safety.lamina_policy(self.instance.clinic)):
            del self.fields["lamina_technique"]

    def action_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}
        data["clean_technique"] = {
            key: bool(self.cleaned_data[key]) for key in ("skin_prep", "hand_hygiene", "sharps")
        }
        return data


class PrecheckForm(forms.Form):
    """New contraindications since the last visit (knowledge contraindications)."""

    items = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="New since the last visit"
    )
    regions = forms.MultipleChoiceField(
        required=False,
        label="Where (for located items such as an infection or lymphoedema)",
        help_text="Tap the regions on the body chart (or choose them in the list).",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages={"invalid_choice": "One of the chosen body regions is not known."},
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = {"absolute": "contraindication", "relative": "precaution"}
        self.fields["items"].choices = [
            (c.id, f"{c.name} ({kinds[c.kind]})") for c in safety.contraindication_choices()
        ]
        self.fields["regions"].choices = [(r.id, r.label) for r in bodychart.regions()]

    def precheck(self) -> dict:
        kb = load_knowledge()
        items = []
        for item_id in self.cleaned_data["items"]:
            located = kb.contraindications[item_id].consequence == "restrict_region"
            items.append(
                {"id": item_id, "regions": self.cleaned_data["regions"] if located else []}
            )
        return {"checked": True, "items": items, "notes": self.cleaned_data["notes"]}


class NeedlingRowForm(forms.ModelForm):
    muscle = MuscleField(label="Muscle", max_length=120)

    class Meta:
        model = NeedlingRow
        fields = [
            "side",
            "paraspinal_level",
            "insertions",
            "depth_mm",
            "needle_gauge",
            "needle_length_mm",
            "lot_number",
            "response",
            "tolerance",
            "depth_acknowledged",
        ]
        labels = {
            "depth_mm": "Depth (mm)",
            "paraspinal_level": "Level",
            "needle_length_mm": "Length (mm)",
            "needle_gauge": "Gauge",
            "lot_number": "Lot",
            "depth_acknowledged": "Depth beyond guidance is deliberate",
        }

    field_order = ["muscle", *Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ungraded "grasp" exists only on rows charted before grading; new rows are graded.
        self.fields["response"].choices = [
            choice
            for choice in self.fields["response"].choices
            if choice[0] != NeedlingRow.Response.GRASP
        ]
        # A row is charted after the site is needled: what the needle met and how the patient
        # tolerated it are observed now, so the form asks for both (blank only on repeated rows,
        # which signing refuses until they are recorded).
        self.fields["response"].required = True
        self.fields["tolerance"].required = True

    def action_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["muscle_id"] = self.cleaned_data["muscle"]
        return values


class AdverseEventForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ["kind", "severity", "action_taken", "follow_up"]
        widgets = {
            "action_taken": forms.Textarea(attrs={"rows": 2}),
            "follow_up": forms.Textarea(attrs={"rows": 2}),
        }


class AddendumForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for the correction")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Correction")


class CourseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CourseOfCare.Status.choices)
    reason = forms.CharField(required=False, max_length=500)


class ClearanceForm(forms.Form):
    """Who cleared a precaution, when and how (e.g. the prescribing physician)."""

    precaution_id = forms.ChoiceField(label="Precaution cleared")
    cleared_by = forms.CharField(
        max_length=200,
        label="Cleared by",
        help_text="Name and role, e.g. Dr Chen, prescribing physician.",
    )
    cleared_on = forms.DateField(label="Cleared on", widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label="How", choices=PrecautionClearance.Method.choices)
    document_reference = forms.CharField(
        max_length=200, required=False, label="Document reference (optional)"
    )
    valid_until = forms.DateField(
        required=False,
        label="Valid until (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, precautions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["precaution_id"].choices = [(p.id, p.name) for p in precautions]

    def clean(self):
        data = super().clean()
        if data.get("valid_until") and data.get("cleared_on"):
            if data["valid_until"] < data["cleared_on"]:
                self.add_error("valid_until", "A clearance cannot end before it was given.")
        return data


class DecisionForm(forms.Form):
    """The practitioner's reasoned decision: the precaution and the sites adapted."""

    precaution_id = forms.ChoiceField(label="Precaution")
    reasoning = forms.CharField(
        label="Reasoning",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="What you weighed, and how you adapted (depth, insertions, pressure).",
    )
    sites = forms.MultipleChoiceField(
        label="Sites adapted", widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, precautions=(), rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["precaution_id"].choices = [(p.id, p.name) for p in precautions]
        self.fields["sites"].choices = [
            (
                f"{row.muscle_id}|{row.side}",
                f"{safety.muscle_label(row.muscle_id)} ({row.get_side_display()})",
            )
            for row in rows
        ]

    def adapted_sites(self) -> list[dict]:
        sites = []
        for value in self.cleaned_data["sites"]:
            muscle_id, _, side = value.partition("|")
            sites.append({"muscle_id": muscle_id, "side": side})
        return sites
