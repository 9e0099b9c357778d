"""Typed rows of the clinical knowledge base.

Every YAML row is validated into one of these pydantic models on load. The models are frozen so a
cached KnowledgeBase shared between web requests cannot be mutated by one of them. Cross-row
checks (a cited source exists, a hazard is known, ...) live in loader.py because a single row
cannot see the others.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Confidence = Literal["high", "med", "low", "unverified"]
"""How well a fact is supported; see docs/clinical-sources.md for the tagging rules."""

Side = Literal["L", "R"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$")]

SEGMENT_PATTERN = re.compile(r"^(C[1-8]|T([1-9]|1[0-2])|L[1-5]|S[1-3])$")
CRANIAL_NERVES = ("V", "VII", "XI")


class Row(BaseModel):
    """Base for every knowledge row: frozen, and unknown keys are errors (catches typos)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_segments(values: list[str]) -> list[str]:
    for value in values:
        if not SEGMENT_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a spinal segment C1..C8, T1..T12, L1..L5, S1..S3")
    return values


class Source(Row):
    """A bibliography entry; rows cite sources by id."""

    id: Slug
    citation: str
    kind: Literal[
        "textbook",
        "paper",
        "guideline",
        "regulator",
        "clinic_page",
        "code_set",
        "instrument",
        "project_estimate",
        "review",
    ]
    url: str | None = None
    licence_note: str | None = None
    notes: str | None = None


class Segment(Row):
    """One spinal segment (C1..S3) and its position in the craniocaudal order."""

    id: str
    region: Literal["cervical", "thoracic", "lumbar", "sacral"]
    order: int
    key_muscles: str = Field(description="plain-language myotome summary for reviewers")
    sources: list[Slug]
    confidence: Confidence

    @field_validator("id")
    @classmethod
    def _valid_segment(cls, value: str) -> str:
        return _check_segments([value])[0]


class BodyRegion(Row):
    """A body-chart area. The YAML lists side-neutral areas; the loader expands them to `<id>_l`
    and `<id>_r` (the patient's left and right)."""

    id: Slug
    label: str
    view: Literal["front", "back"]
    segments: list[str] = Field(
        default_factory=list,
        description="segments whose dermatomes usually cover this area (for locating Gunn signs)",
    )
    cranial_nerves: list[Literal["V", "VII", "XI"]] = Field(default_factory=list)
    limb: Literal["upper", "lower"] | None = None
    sources: list[Slug]
    confidence: Confidence

    @field_validator("segments")
    @classmethod
    def _valid_segments(cls, value: list[str]) -> list[str]:
        return _check_segments(value)


class SidedBodyRegion(BaseModel):
    """A body-chart region on one side, as referenced by findings and the SVG chart."""

    model_config = ConfigDict(frozen=True)

    id: str
    area: BodyRegion
    side: Side


class Hazard(Row):
    """An anatomical structure at risk under a muscle, with the caution shown to clinicians."""

    id: Slug
    name: str
    structure: str
    caution: str
    thorax: bool = Field(False, description="pleura/lung beneath: pneumothorax risk")
    vascular: bool = Field(False, description="large vessel at risk: matters with bleeding risk")
    severity: Literal["high", "moderate", "low"] = Field(
        description="how grave a slip is; orders safer sites first at equal evidence"
    )
    sources: list[Slug]
    confidence: Confidence

    @model_validator(mode="after")
    def _thorax_is_high(self) -> Hazard:
        if self.thorax and self.severity != "high":
            raise ValueError("a thorax hazard (pleura/lung) is always severity high")
        return self


class Roots(Row):
    """Spinal root values: primary (predominant) and minor contributions."""

    primary: list[str] = Field(default_factory=list)
    minor: list[str] = Field(default_factory=list)

    @field_validator("primary", "minor")
    @classmethod
    def _valid_segments(cls, value: list[str]) -> list[str]:
        return _check_segments(value)

    @model_validator(mode="after")
    def _no_overlap(self) -> Roots:
        both = set(self.primary) & set(self.minor)
        if both:
            raise ValueError(f"roots listed as both primary and minor: {sorted(both)}")
        return self


class RootAlternative(Row):
    """Root values published by another reference that disagrees with the row's main values."""

    primary: list[str]
    minor: list[str] = Field(default_factory=list)
    source: Slug
    note: str | None = None

    @field_validator("primary", "minor")
    @classmethod
    def _valid_segments(cls, value: list[str]) -> list[str]:
        return _check_segments(value)


MuscleRegion = Literal[
    "jaw_head",
    "neck",
    "shoulder_girdle",
    "arm",
    "forearm",
    "hand",
    "trunk",
    "paraspinal",
    "hip",
    "thigh",
    "leg",
    "foot",
]
Position = Literal["prone", "supine", "side_lying", "sitting"]


class Muscle(Row):
    """A commonly needled muscle with its innervation, needling guidance and hazards."""

    id: Slug
    name: str
    synonyms: list[str] = Field(default_factory=list)
    region: MuscleRegion
    nerve: str
    cranial_nerves: list[Literal["V", "VII", "XI"]] = Field(default_factory=list)
    roots: Roots = Field(default_factory=Roots)
    alternatives: list[RootAlternative] = Field(default_factory=list)
    key_segments: list[str] = Field(
        default_factory=list,
        description="segments for which this is a standard test muscle (ASIA key muscle or an "
        "EMG root-screening muscle, cited in sources); plans list these first",
    )
    paraspinal: bool = False
    level: str | None = Field(None, description="spinal level of a segmental paraspinal row")
    depth_mm: tuple[int, int]
    depth_confidence: Confidence = "unverified"
    position: list[Position]
    hazards: list[Slug] = Field(default_factory=list)
    chart_area: Slug = Field(description="side-neutral body-region id (body_regions.yaml)")
    thorax: bool | None = Field(
        None, description="needling over the thorax; None = derive from the hazards"
    )
    sources: list[Slug] = Field(min_length=1)
    confidence: Confidence
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Muscle:
        if not self.roots.primary and not self.cranial_nerves:
            raise ValueError("a muscle needs primary spinal roots or a cranial nerve")
        if self.paraspinal:
            if self.level is None:
                raise ValueError("a paraspinal row needs its level")
            _check_segments([self.level])
            if self.roots.primary != [self.level]:
                raise ValueError("a paraspinal row's primary root must be its level")
        elif self.level is not None:
            raise ValueError("only paraspinal rows carry a level")
        _check_segments(self.key_segments)
        if not set(self.key_segments) <= set(self.roots.primary):
            raise ValueError("key_segments must be primary roots of the muscle")
        low, high = self.depth_mm
        if not 0 < low <= high <= 120:
            raise ValueError("depth_mm must be [min, max] with 0 < min <= max <= 120")
        return self

    @property
    def all_roots(self) -> list[str]:
        """Primary then minor roots."""
        return [*self.roots.primary, *self.roots.minor]


class IcdCode(Row):
    """One ICD-10 code with the code system it belongs to."""

    code: str
    system: Literal["who", "ca", "cm"]
    title: str


class Condition(Row):
    """A condition commonly treated with IMS / dry needling."""

    id: Slug
    name: str
    synonyms: list[str] = Field(default_factory=list)
    icd10: list[IcdCode]
    icd_notes: str | None = None
    segments: list[str]
    muscles: list[Slug]
    sources: list[Slug]
    confidence: Confidence
    notes: str | None = None

    @field_validator("segments")
    @classmethod
    def _valid_segments(cls, value: list[str]) -> list[str]:
        return _check_segments(value)


Consequence = Literal["block", "require_clearance", "warn", "restrict_region"]
ScreeningOutcome = Literal["likely_candidate", "needs_clearance", "not_suitable"]
OUTCOME_ORDER: dict[str, int] = {"likely_candidate": 0, "needs_clearance": 1, "not_suitable": 2}


class AnswerSpec(Row):
    """One answer field of the public screening form (drives the Django form and JSON schema).

    Every field must be answered; `default` is only the all-clear value used to build demo and
    test answers (`clear_answers`), never a value assumed for a missing answer. A `choices`
    answer is a list of ticked option ids (empty when none applies).
    """

    field: Slug
    type: Literal["boolean", "number", "number_or_null", "choices"]
    default: bool | float | int | list[str] | None
    question: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: dict[str, str] | None = Field(None, description="option id -> plain label")

    @model_validator(mode="after")
    def _choices_consistent(self) -> AnswerSpec:
        if (self.type == "choices") != (self.choices is not None):
            raise ValueError("a choices answer needs `choices`, and only it may have them")
        if self.type == "choices" and self.default != []:
            raise ValueError("a choices answer's all-clear value is []")
        return self


class Trigger(Row):
    """When a screening answer triggers a contraindication."""

    equals: bool | None = Field(None, description="boolean answer equal to this value")
    below_window: bool = Field(False, description="number below the clinic's window setting")

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        if (self.equals is None) == (not self.below_window):
            raise ValueError("a trigger is either `equals: true|false` or `below_window: true`")
        return self


class Contraindication(Row):
    """A contraindication or precaution and what the software does about it."""

    id: Slug
    name: str
    kind: Literal["absolute", "relative"]
    consequence: Consequence
    screening_outcome: ScreeningOutcome | None = Field(
        None, description="outcome on the public form; None = not asked there"
    )
    answer: AnswerSpec | None = None
    trigger: Trigger | None = None
    message: str = Field(description="plain-language reason shown to the person screened")
    advice: str = Field(description="what to bring, or what to do instead")
    clinical_action: str = Field(description="what the plan engine / clinician does")
    window_setting: str | None = Field(
        None, description="clinic-configurable time window (policy key), e.g. recent surgery"
    )
    window_default: float | None = None
    sources: list[Slug]
    confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> Contraindication:
        if self.kind == "absolute" and self.screening_outcome not in (None, "not_suitable"):
            raise ValueError("an absolute contraindication screens as not_suitable")
        if self.screening_outcome is not None and (self.answer is None or self.trigger is None):
            raise ValueError("a screened item needs its answer spec and trigger")
        if self.trigger is not None and self.trigger.below_window and self.window_setting is None:
            raise ValueError("a below_window trigger needs window_setting and window_default")
        if (self.window_setting is None) != (self.window_default is None):
            raise ValueError("window_setting and window_default go together")
        return self


class RedFlag(Row):
    """A red-flag answer on the screening form: refer for medical assessment first."""

    id: Slug
    answer: AnswerSpec
    outcome: ScreeningOutcome
    message: str
    advice: str
    sources: list[Slug]
    confidence: Confidence


class GunnSign(Row):
    """One of Gunn's signs of neuropathy as an assessment item."""

    id: Slug
    name: str
    category: Literal["sensory", "autonomic", "trophic", "motor"]
    how_to_test: str
    located_by: Literal["muscle", "region", "segment_or_region"]
    segment_weight: float = Field(ge=0, le=2)
    sources: list[Slug]
    confidence: Confidence


class InstrumentItem(Row):
    """A questionnaire item with its allowed range."""

    id: str
    text: str
    min: float
    max: float
    optional: bool = False


class Band(Row):
    """An interpretation band, inclusive on both ends."""

    min: float
    max: float
    label: str


class ScoringRule(Row):
    """How item responses become a score.

    method: `sum`, `mean` (of answered items), `percent` ((mean - item min) / item range x 100,
    which is the ODI, SPADI and QuickDASH rule) or `single` (one item's value).
    """

    method: Literal["sum", "mean", "percent", "single"]
    min_answered: int | None = Field(None, description="default: every non-optional item")
    prorate: bool = Field(False, description="sum only: scale up for missing items (NDI rule)")
    subscales: dict[str, list[str]] = Field(default_factory=dict)
    bands: list[Band] = Field(default_factory=list)


class Instrument(Row):
    """An outcome instrument: items, scoring, direction, MCID and licence."""

    id: Slug
    name: str
    abbreviation: str
    items: list[InstrumentItem] = Field(min_length=1)
    scoring: ScoringRule
    range: tuple[float, float]
    higher_is_better: bool
    mcid: float | None = None
    mcid_source: Slug | None = None
    mcid_note: str | None = None
    mdc: float | None = Field(
        None, description="minimal detectable change: measurement error, never an MCID"
    )
    mdc_source: Slug | None = None
    mdc_note: str | None = None
    recall_period: str | None = None
    licence: Literal["free", "clinic_supplied"]
    licence_note: str
    sources: list[Slug]
    confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids must be unique")
        for name, members in self.scoring.subscales.items():
            unknown = set(members) - set(ids)
            if unknown:
                raise ValueError(f"subscale {name!r} names unknown items {sorted(unknown)}")
        if (self.mcid is None) != (self.mcid_source is None):
            raise ValueError("an MCID needs its source (mcid_source)")
        if (self.mdc is None) != (self.mdc_source is None):
            raise ValueError("an MDC needs its source (mdc_source)")
        return self

    def item(self, item_id: str) -> InstrumentItem:
        """The item with this id (KeyError if none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


class ClinicScoringRule(Row):
    """Scoring facts for a licensed instrument whose text the clinic supplies (FHIR import)."""

    id: Slug
    name: str
    abbreviation: str
    method: Literal["sum", "mean", "percent", "single"]
    prorate: bool = False
    min_answered: int | None = None
    expected_items: int
    item_range: tuple[float, float]
    range: tuple[float, float]
    higher_is_better: bool
    mcid: float | None = None
    mcid_source: Slug | None = None
    mcid_note: str | None = None
    bands: list[Band] = Field(default_factory=list)
    licence_note: str
    sources: list[Slug]
    confidence: Confidence


LIMB_LOCATIONS: dict[str, tuple[str, Side]] = {
    "arm_left": ("upper", "L"),
    "arm_right": ("upper", "R"),
    "leg_left": ("lower", "L"),
    "leg_right": ("lower", "R"),
}
"""Limb choice id -> (body-region limb, patient side), as the plan engine locates a precaution."""


class LimbNote(Row):
    """A precaution recorded by limb on the screening form (lymphoedema away from the pain)."""

    answer: AnswerSpec
    precaution: Slug = Field(description="the contraindication it locates in the plan")
    message: str
    advice: str
    sources: list[Slug]
    confidence: Confidence

    @model_validator(mode="after")
    def _limbs(self) -> LimbNote:
        if self.answer.type != "choices" or set(self.answer.choices or {}) != set(LIMB_LOCATIONS):
            raise ValueError(f"a limb answer offers exactly the choices {sorted(LIMB_LOCATIONS)}")
        return self


class ScreeningConfig(Row):
    """Non-contraindication parts of the screening form: pain duration, lymphoedema by limb and
    red flags."""

    typical_min_pain_duration_months: float
    pain_duration: AnswerSpec
    lymphoedema_limbs: LimbNote
    red_flags: list[RedFlag]


def jsonable(model: BaseModel) -> dict[str, Any]:
    """A JSON-ready dict of a row (for APIs and the CLI)."""
    return model.model_dump(mode="json")
