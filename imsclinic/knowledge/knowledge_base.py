"""The loaded, cross-checked knowledge base with lookups used by the engines and the web app."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .errors import AmbiguousMuscleError, UnknownMuscleError
from .models import (
    AnswerSpec,
    BodyRegion,
    ClinicScoringRule,
    Condition,
    Contraindication,
    GunnSign,
    Hazard,
    Instrument,
    Muscle,
    RedFlag,
    ScreeningConfig,
    Segment,
    SidedBodyRegion,
    Source,
)

SIDE_SUFFIX = {"L": "l", "R": "r"}


def normalise_name(text: str) -> str:
    """Lower-case, and treat hyphens, underscores and repeated spaces as one space."""
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


@dataclass(frozen=True)
class KnowledgeBase:
    """Every knowledge row, keyed by id, plus the lookups the engines need.

    Built once by `load_knowledge()` and shared (read-only) between requests.
    """

    sources: dict[str, Source]
    segments: dict[str, Segment]
    body_areas: dict[str, BodyRegion]
    hazards: dict[str, Hazard]
    muscles: dict[str, Muscle]
    conditions: dict[str, Condition]
    contraindications: dict[str, Contraindication]
    screening: ScreeningConfig
    gunn_signs: dict[str, GunnSign]
    instruments: dict[str, Instrument]
    clinic_scoring: dict[str, ClinicScoringRule]
    body_regions: dict[str, SidedBodyRegion] = field(init=False)
    segment_order: tuple[str, ...] = field(init=False)
    _name_index: dict[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Frozen dataclass: derived indexes are set once through object.__setattr__.
        sided = {
            f"{area.id}_{suffix}": SidedBodyRegion(id=f"{area.id}_{suffix}", area=area, side=side)
            for area in self.body_areas.values()
            for side, suffix in SIDE_SUFFIX.items()
        }
        object.__setattr__(self, "body_regions", sided)
        order = tuple(sorted(self.segments, key=lambda seg: self.segments[seg].order))
        object.__setattr__(self, "segment_order", order)
        index: dict[str, set[str]] = {}
        for muscle in self.muscles.values():
            for name in (muscle.id, muscle.name, *muscle.synonyms):
                index.setdefault(normalise_name(name), set()).add(muscle.id)
        object.__setattr__(self, "_name_index", {k: frozenset(v) for k, v in index.items()})

    # ---- segments ----
    def segment_position(self, segment: str) -> int:
        """0-based craniocaudal position of a segment (C1 = 0 ... S3 = 27)."""
        return self.segment_order.index(segment)

    def are_adjacent(self, upper: str, lower: str) -> bool:
        """True when two segments are next to each other (C8 and T1 count as adjacent)."""
        return abs(self.segment_position(upper) - self.segment_position(lower)) == 1

    # ---- muscles ----
    def muscles_for_segment(
        self, segment: str, *, include_minor: bool = False, include_paraspinal: bool = False
    ) -> list[Muscle]:
        """Muscles whose primary roots (and, optionally, minor roots) include the segment.

        Most specific first: a muscle supplied by fewer primary roots says more about a segment.
        """
        found = [
            muscle
            for muscle in self.muscles.values()
            if (include_paraspinal or not muscle.paraspinal)
            and (
                segment in muscle.roots.primary or (include_minor and segment in muscle.roots.minor)
            )
        ]
        return sorted(
            found,
            key=lambda m: (segment not in m.roots.primary, len(m.roots.primary), m.name),
        )

    def paraspinals_at(self, segment: str) -> list[Muscle]:
        """The segmental paraspinal rows at a level (usually exactly one)."""
        return [m for m in self.muscles.values() if m.paraspinal and m.level == segment]

    def hazards_for(self, muscle: Muscle) -> list[Hazard]:
        """Hazard rows of a muscle, in the row's order."""
        return [self.hazards[hazard_id] for hazard_id in muscle.hazards]

    def body_region_for(self, muscle: Muscle, side: str) -> SidedBodyRegion:
        """The sided body-chart region of a muscle, e.g. deltoid + R -> shoulder_front_r."""
        return self.body_regions[f"{muscle.chart_area}_{SIDE_SUFFIX[side]}"]

    def find_muscle(self, query: str) -> Muscle:
        """Resolve a name, id or synonym (case-insensitive) to one muscle.

        An exact match wins; otherwise a unique partial match is accepted ("gastroc").
        Raises AmbiguousMuscleError when several muscles match and UnknownMuscleError (with
        close matches from difflib) when none does.
        """
        key = normalise_name(query)
        if not key:
            raise UnknownMuscleError(query, [], "empty muscle name")
        exact = self._name_index.get(key)
        if exact and len(exact) == 1:
            return self.muscles[next(iter(exact))]
        matches = set(exact or ())
        if not matches:
            for name, ids in self._name_index.items():
                if key in name:
                    matches |= ids
        if len(matches) == 1:
            return self.muscles[matches.pop()]
        if matches:
            candidates = sorted(matches)
            raise AmbiguousMuscleError(
                query,
                candidates,
                f"{query!r} matches several muscles: {', '.join(candidates)}",
            )
        close = difflib.get_close_matches(key, list(self._name_index), n=5, cutoff=0.6)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UnknownMuscleError(query, close, f"unknown muscle {query!r}{hint}")

    # ---- screening ----
    def screening_answer_specs(self) -> list[AnswerSpec]:
        """Every answer field of the public screening form, in form order."""
        specs = [self.screening.pain_duration]
        specs += [c.answer for c in self.contraindications.values() if c.answer is not None]
        specs += [self.screening.lymphoedema_limbs.answer]
        specs += [flag.answer for flag in self.screening.red_flags]
        return specs

    def red_flag(self, flag_id: str) -> RedFlag:
        """The red-flag row with this id (KeyError if none)."""
        for flag in self.screening.red_flags:
            if flag.id == flag_id:
                return flag
        raise KeyError(flag_id)

    def is_thorax(self, muscle: Muscle) -> bool:
        """True when needling the muscle is needling over the thorax (pneumothorax risk)."""
        if muscle.thorax is not None:
            return muscle.thorax
        return any(self.hazards[h].thorax for h in muscle.hazards)
