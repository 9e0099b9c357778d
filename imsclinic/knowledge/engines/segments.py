"""Segment inference: from examination findings to the likely affected spinal segments.

Gunn's model puts the lesion at the nerve root, so every muscle of the segment (its myotome) and
the paraspinal muscles at that level tend to be tender and shortened together. The engine adds up
evidence per (segment, side):

* A muscle finding adds its grade weight to each of the muscle's roots. Primary roots get the
  full share, minor roots MINOR_ROOT_FACTOR of it, and roots that only another reference lists
  (`alternatives`) ALTERNATIVE_ROOT_FACTOR. The share is divided by sqrt(number of primary
  roots), so a single-root muscle (EHL -> L5) says more than a four-root one.
* A paraspinal finding is strong evidence for its own level (PARASPINAL_FACTOR) and weak for the
  levels next to it, because multifidus fascicles overlap.
* A Gunn sign recorded on a body-chart region spreads its weight over that region's dermatomes;
  recorded on a segment, it goes to that segment.

* A spared muscle (examined and normal, grade "normal") counts against its roots: it subtracts
  SPARED_FACTOR of the share a tender finding would add. A normal biceps femoris short head
  argues against S1 the way EMG uses spared muscles to exclude a root.

The same muscle on the same side counts once, however often it is listed (grades are merged),
and so does the same sign at the same place. One wrong finding shifts a score by at most one
finding's weight, so a consistent pattern of several muscles still wins. Adding an abnormal
finding never lowers any score.

Reporting is honest about uncertainty:

* Adjacent segments scoring within LEVEL_RATIO of the side's top segment are reported together
  as a multi-level involvement (e.g. C5-C6).
* Segments tied for the top score are all reported (`tied`), never resolved silently toward the
  upper level; the result carries a `tie` warning.
* When nothing stands out (another, separate site scores close to the top, the involvement
  spreads over more than MAX_LOCALISED_LEVELS levels, or the top group holds less than
  MIN_CONCENTRATION of the side's evidence) the side gets a `does_not_localise` warning and
  its group is marked `localises = False`: the findings do not point to a segment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge_base import KnowledgeBase
from ..loader import load_knowledge

GRADE_WEIGHTS = {"tender": 1.0, "taut": 1.2, "shortened": 0.8}
EXTRA_GRADE_BONUS = 0.2  # each further grade on the same muscle (tender AND taut, ...)
MINOR_ROOT_FACTOR = 0.35
ALTERNATIVE_ROOT_FACTOR = 0.1
PARASPINAL_FACTOR = 2.0
PARASPINAL_NEIGHBOUR_FACTOR = 0.3
SPARED_FACTOR = 0.5
SPARED_GRADE = "normal"
LEVEL_RATIO = 0.7
MAX_LOCALISED_LEVELS = 3
MIN_CONCENTRATION = 0.4
SIDES = ("L", "R")
SIDE_WORDS = {"L": "left", "R": "right", None: "side not recorded"}


@dataclass(frozen=True)
class MuscleFinding:
    """A muscle examined on one side (side None = not recorded): abnormal with its grades, or
    spared with grades ("normal",)."""

    muscle: str
    side: str | None = None
    grades: tuple[str, ...] = ("tender",)


@dataclass(frozen=True)
class SignFinding:
    """A Gunn sign located on a sided body-chart region (e.g. low_back_r) or on a segment."""

    sign: str
    side: str | None = None
    region: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class Evidence:
    """One contribution to a segment's score."""

    kind: str  # "muscle", "paraspinal" or "sign"
    ref: str  # muscle id or Gunn sign id
    role: str  # "primary", "minor", "alternative", "level", "adjacent_level", "dermatome", ...
    weight: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "ref": self.ref,
            "role": self.role,
            "weight": round(self.weight, 3),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SegmentScore:
    """A segment on one side with its score and the evidence behind it."""

    segment: str
    side: str | None
    score: float
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's `segments` entries)."""
        return {
            "segment": self.segment,
            "side": self.side,
            "score": round(self.score, 3),
            "evidence": [item.to_dict() for item in self.evidence],
        }


@dataclass(frozen=True)
class LevelGroup:
    """The most likely involvement on one side: one level, or adjacent levels scoring close."""

    side: str | None
    levels: tuple[str, ...]
    score: float
    tied: tuple[str, ...] = ()
    localises: bool = True

    @property
    def multi_level(self) -> bool:
        """True when more than one level is involved."""
        return len(self.levels) > 1

    @property
    def label(self) -> str:
        """Human label such as 'C5', 'C5-C6' (adjacent) or 'C5 / C7' (separate, tied)."""
        if len(self.levels) == 1:
            return self.levels[0]
        if self.contiguous:
            return f"{self.levels[0]}-{self.levels[-1]}"
        return " / ".join(self.levels)

    @property
    def contiguous(self) -> bool:
        """True when the levels follow each other without a gap."""
        kb = load_knowledge()
        positions = [kb.segment_position(level) for level in self.levels]
        return positions == list(range(positions[0], positions[0] + len(positions)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "side": self.side,
            "levels": list(self.levels),
            "label": self.label,
            "multi_level": self.multi_level,
            "tied": list(self.tied),
            "localises": self.localises,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class InferenceWarning:
    """Why the result should not be read as a confident level: `tie` or `does_not_localise`."""

    code: str
    side: str | None
    levels: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "side": self.side,
            "levels": list(self.levels),
            "message": self.message,
        }


@dataclass(frozen=True)
class CranialFinding:
    """Evidence for a cranial nerve (muscles without spinal roots, e.g. masseter: CN V)."""

    nerve: str
    side: str | None
    muscles: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"nerve": self.nerve, "side": self.side, "muscles": list(self.muscles)}


@dataclass(frozen=True)
class SegmentInference:
    """Result of `infer_segments`: ranked segment scores, level groups per side, cranial nerves."""

    segments: tuple[SegmentScore, ...]
    levels: tuple[LevelGroup, ...]
    cranial: tuple[CranialFinding, ...] = field(default_factory=tuple)
    warnings: tuple[InferenceWarning, ...] = field(default_factory=tuple)

    @property
    def localising_levels(self) -> tuple[LevelGroup, ...]:
        """The level groups that do point to a segment (safe to plan from)."""
        return tuple(group for group in self.levels if group.localises)

    def top(self, side: str | None) -> SegmentScore | None:
        """Best segment on a side, or None when that side has no evidence."""
        return next((s for s in self.segments if s.side == side), None)

    def score_of(self, segment: str, side: str | None) -> float:
        """Score of one segment on one side (0.0 when it has no evidence)."""
        for item in self.segments:
            if item.segment == segment and item.side == side:
                return item.score
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "segments": [s.to_dict() for s in self.segments],
            "levels": [g.to_dict() for g in self.levels],
            "cranial": [c.to_dict() for c in self.cranial],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _normalise_side(side: Any) -> str | None:
    if side is None or side == "":
        return None
    text = str(side).strip().upper()
    if text in ("L", "LEFT"):
        return "L"
    if text in ("R", "RIGHT"):
        return "R"
    raise ValueError(f"side must be L or R, not {side!r}")


def coerce_finding(
    raw: MuscleFinding | SignFinding | Mapping[str, Any],
) -> MuscleFinding | SignFinding:
    """Accept a finding object or a dict such as {"muscle": "deltoid", "side": "R",
    "grades": ["tender", "taut"]} or {"sign": "trophedema_matchstick", "region": "low_back_r"}."""
    if isinstance(raw, MuscleFinding | SignFinding):
        return raw
    if not isinstance(raw, Mapping):
        raise TypeError(f"a finding must be a dict or finding object, not {type(raw).__name__}")
    side = _normalise_side(raw.get("side"))
    if "muscle" in raw and "sign" not in raw:
        grades = raw.get("grades", raw.get("grade", ("tender",)))
        grades = (grades,) if isinstance(grades, str) else tuple(grades)
        if raw.get("normal") is True:
            grades = (SPARED_GRADE,)
        return MuscleFinding(muscle=str(raw["muscle"]), side=side, grades=grades)
    if "sign" in raw:
        if raw.get("muscle"):
            # Muscle-located signs (tender motor points, taut bands) are muscle findings.
            grade = "taut" if raw["sign"] == "taut_bands" else "tender"
            return MuscleFinding(muscle=str(raw["muscle"]), side=side, grades=(grade,))
        return SignFinding(
            sign=str(raw["sign"]), side=side, region=raw.get("region"), segment=raw.get("segment")
        )
    raise ValueError("a finding needs a 'muscle' or a 'sign' key")


def grade_weight(grades: Iterable[str]) -> float:
    """Weight of one muscle finding from its grades: tender, taut, shortened add evidence;
    "normal" (a spared muscle) gives a negative weight."""
    distinct = sorted(set(grades))
    if not distinct:
        distinct = ["tender"]
    if SPARED_GRADE in distinct:
        if len(distinct) > 1:
            raise ValueError("a muscle cannot be both normal and abnormal on the same side")
        return -SPARED_FACTOR * GRADE_WEIGHTS["tender"]
    unknown = [g for g in distinct if g not in GRADE_WEIGHTS]
    if unknown:
        known = ", ".join([*GRADE_WEIGHTS, SPARED_GRADE])
        raise ValueError(f"unknown grade {unknown[0]!r}; use one of {known}")
    return max(GRADE_WEIGHTS[g] for g in distinct) + EXTRA_GRADE_BONUS * (len(distinct) - 1)


def _deduplicate(
    kb: KnowledgeBase, findings: Iterable[MuscleFinding | SignFinding]
) -> list[MuscleFinding | SignFinding]:
    """One finding per muscle and side (grades merged) and per sign and place, so repeating a
    finding never inflates a score. Normal and abnormal for the same muscle and side conflict."""
    muscles: dict[tuple[str, str | None], set[str]] = {}
    signs: dict[SignFinding, None] = {}
    for finding in findings:
        if isinstance(finding, MuscleFinding):
            muscle_id = kb.find_muscle(finding.muscle).id
            muscles.setdefault((muscle_id, finding.side), set()).update(
                finding.grades or ("tender",)
            )
        else:
            signs[finding] = None
    merged: list[MuscleFinding | SignFinding] = []
    for (muscle_id, side), grades in muscles.items():
        if SPARED_GRADE in grades and len(grades) > 1:
            name = kb.muscles[muscle_id].name
            raise ValueError(
                f"{name} ({SIDE_WORDS[side]}) is recorded both as normal and as abnormal"
            )
        merged.append(MuscleFinding(muscle_id, side, tuple(sorted(grades))))
    return [*merged, *signs]


class _Tally:
    def __init__(self) -> None:
        self.scores: dict[tuple[str, str | None], float] = {}
        self.evidence: dict[tuple[str, str | None], list[Evidence]] = {}

    def add(self, segment: str, side: str | None, evidence: Evidence) -> None:
        key = (segment, side)
        self.scores[key] = self.scores.get(key, 0.0) + evidence.weight
        self.evidence.setdefault(key, []).append(evidence)


def _add_muscle(kb: KnowledgeBase, tally: _Tally, finding: MuscleFinding, cranial: dict) -> None:
    muscle = kb.find_muscle(finding.muscle)
    weight = grade_weight(finding.grades)
    grades = "+".join(sorted(set(finding.grades)))
    side = finding.side
    if muscle.paraspinal:
        level = muscle.level
        assert level is not None  # noqa: S101 - guaranteed by the Muscle model
        detail = f"{muscle.name} {grades}"
        tally.add(
            level,
            side,
            Evidence("paraspinal", muscle.id, "level", weight * PARASPINAL_FACTOR, detail),
        )
        position = kb.segment_position(level)
        for neighbour_pos in (position - 1, position + 1):
            if 0 <= neighbour_pos < len(kb.segment_order):
                neighbour = kb.segment_order[neighbour_pos]
                tally.add(
                    neighbour,
                    side,
                    Evidence(
                        "paraspinal",
                        muscle.id,
                        "adjacent_level",
                        weight * PARASPINAL_NEIGHBOUR_FACTOR,
                        f"{detail} (next level)",
                    ),
                )
        return
    if weight > 0:  # a spared muscle is no evidence for its cranial nerve
        for nerve in muscle.cranial_nerves:
            cranial.setdefault((nerve, side), []).append(muscle.id)
    if not muscle.all_roots:
        return
    # A muscle whose cervical rami are only a minor share (trapezius, SCM: motor supply CN XI)
    # is divided as if by one primary root, so its minor share stays minor.
    share = weight / math.sqrt(max(1, len(muscle.roots.primary)))
    detail = f"{muscle.name} {grades}"
    for root in muscle.roots.primary:
        tally.add(root, side, Evidence("muscle", muscle.id, "primary", share, detail))
    for root in muscle.roots.minor:
        tally.add(
            root, side, Evidence("muscle", muscle.id, "minor", share * MINOR_ROOT_FACTOR, detail)
        )
    listed = set(muscle.all_roots)
    alternative_roots = sorted(
        {root for alt in muscle.alternatives for root in (*alt.primary, *alt.minor)} - listed,
        key=kb.segment_position,
    )
    for root in alternative_roots:
        tally.add(
            root,
            side,
            Evidence(
                "muscle",
                muscle.id,
                "alternative",
                share * ALTERNATIVE_ROOT_FACTOR,
                f"{detail} (root per another reference)",
            ),
        )


def _add_sign(kb: KnowledgeBase, tally: _Tally, finding: SignFinding) -> None:
    if finding.sign not in kb.gunn_signs:
        raise ValueError(f"unknown Gunn sign {finding.sign!r}; known: {', '.join(kb.gunn_signs)}")
    sign = kb.gunn_signs[finding.sign]
    side = finding.side
    if finding.segment is not None:
        if finding.segment not in kb.segments:
            raise ValueError(f"unknown segment {finding.segment!r}")
        tally.add(
            finding.segment,
            side,
            Evidence("sign", sign.id, "segment", sign.segment_weight, sign.name),
        )
        return
    if finding.region is None:
        raise ValueError(f"sign {sign.id!r} needs a body-chart region or a segment")
    region = kb.body_regions.get(finding.region)
    if region is None:
        raise ValueError(f"unknown body-chart region {finding.region!r}")
    if side is not None and side != region.side:
        raise ValueError(f"region {region.id!r} is on side {region.side}, not {side}")
    segments = region.area.segments
    if not segments:
        return
    share = sign.segment_weight / math.sqrt(len(segments))
    for segment in segments:
        tally.add(
            segment,
            region.side,
            Evidence("sign", sign.id, "dermatome", share, f"{sign.name} at {region.id}"),
        )


def _grow(kb: KnowledgeBase, seed: str, on_side: dict[str, float], threshold: float) -> set[str]:
    """The seed plus the adjacent levels (walking outward) that reach the threshold."""
    levels = {seed}
    position = kb.segment_position(seed)
    for step in (-1, 1):
        cursor = position + step
        while 0 <= cursor < len(kb.segment_order):
            segment = kb.segment_order[cursor]
            if on_side.get(segment, 0.0) < threshold:
                break
            levels.add(segment)
            cursor += step
    return levels


def _level_groups(
    kb: KnowledgeBase, ranked: list[SegmentScore]
) -> tuple[list[LevelGroup], list[InferenceWarning]]:
    groups: list[LevelGroup] = []
    warnings: list[InferenceWarning] = []
    positive = [s for s in ranked if s.score > 0]
    for side in sorted({s.side for s in positive}, key=lambda v: (v is None, v or "")):
        on_side = {s.segment: s.score for s in positive if s.side == side}
        top_score = max(on_side.values())
        tied = sorted(
            (seg for seg, score in on_side.items() if score == top_score), key=kb.segment_position
        )
        threshold = top_score * LEVEL_RATIO
        levels: set[str] = set()
        for seed in tied:
            levels |= _grow(kb, seed, on_side, threshold)
        ordered = tuple(sorted(levels, key=kb.segment_position))
        group_score = sum(on_side[s] for s in ordered)
        total = sum(on_side.values())
        outside = [
            seg
            for seg, score in on_side.items()
            if seg not in levels
            and score >= threshold
            and all(not kb.are_adjacent(seg, level) for level in levels)
        ]
        localises = (
            not outside
            and len(ordered) <= MAX_LOCALISED_LEVELS
            and group_score >= MIN_CONCENTRATION * total
        )
        side_word = SIDE_WORDS[side]
        if len(tied) > 1:
            warnings.append(
                InferenceWarning(
                    "tie",
                    side,
                    tuple(tied),
                    f"{' and '.join(tied)} score the same ({side_word}): the findings cannot "
                    "tell these levels apart, so both are reported.",
                )
            )
        if not localises:
            warnings.append(
                InferenceWarning(
                    "does_not_localise",
                    side,
                    ordered,
                    f"The findings ({side_word}) do not point to one spinal level: the evidence is "
                    "spread over too many or separate levels. Re-examine, or judge clinically; "
                    "do not plan from this ranking alone.",
                )
            )
        groups.append(
            LevelGroup(side, ordered, group_score, tuple(tied) if len(tied) > 1 else (), localises)
        )
    groups.sort(key=lambda g: -g.score)
    return groups, warnings


def infer_segments(
    findings: Iterable[MuscleFinding | SignFinding | Mapping[str, Any]],
    *,
    kb: KnowledgeBase | None = None,
) -> SegmentInference:
    """Rank the likely affected segments per side from muscle findings and Gunn signs.

    Returns a SegmentInference with `segments` (best first; ties in craniocaudal order),
    `levels` (per side, the top level plus adjacent levels within LEVEL_RATIO of it) and
    `cranial` (cranial nerves implicated by muscles without spinal roots).
    Raises UnknownMuscleError / AmbiguousMuscleError for names that do not resolve, and
    ValueError for unknown signs, regions, segments, grades or sides.
    """
    kb = kb or load_knowledge()
    tally = _Tally()
    cranial: dict[tuple[str, str | None], list[str]] = {}
    for finding in _deduplicate(kb, (coerce_finding(raw) for raw in findings)):
        if isinstance(finding, MuscleFinding):
            _add_muscle(kb, tally, finding, cranial)
        else:
            _add_sign(kb, tally, finding)
    # Rounded so that summation order (finding order) cannot change ties or the ranking.
    # Segments with only negative (spared) evidence are not candidates and are left out.
    ranked = [
        SegmentScore(segment, side, round(score, 6), tuple(tally.evidence[(segment, side)]))
        for (segment, side), score in tally.scores.items()
        if any(item.weight > 0 for item in tally.evidence[(segment, side)])
    ]
    ranked.sort(key=lambda s: (-s.score, kb.segment_position(s.segment), s.side or ""))
    cranial_findings = tuple(
        CranialFinding(nerve, side, tuple(dict.fromkeys(muscles)))
        for (nerve, side), muscles in sorted(
            cranial.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        )
    )
    groups, warnings = _level_groups(kb, ranked)
    return SegmentInference(tuple(ranked), tuple(groups), cranial_findings, tuple(warnings))
