"""Plan suggestion: which muscles to needle for chosen segments, with safety rules applied.

Gunn needles both branches of the segment: the paraspinal muscles at the level (dorsal ramus)
and the peripheral muscles of the myotome (ventral ramus). For each target (segment, side) the
plan lists the paraspinal row first, then the peripheral muscles in this order (`site_order`):

1. evidence class: muscles with the segment as a primary root, and among them the standard test
   muscles of the segment (`key_segments`: ASIA key muscles, EMG root-screening muscles) first;
2. within a class, safer sites first: no hazard, then low, moderate and high hazard severity
   (hazards.yaml), so a femoral-triangle site never comes before the vasti and a thorax site
   comes after a safe one;
3. then the more specific muscle (fewer primary roots), the shallower one, and the name.

Then the patient's precautions are applied (see contraindications.yaml for the sources):

* `block` items (needle phobia, unwilling, unable to consent, emergency) -> no plan at all.
* which sites a precaution excludes comes from one rule, `site_rules.site_exclusions`
  (needling_limits.yaml), which the signing rules call too, so plan and signing agree:
  lymphoedema -> its whole limb and trunk quadrant; local infection / recent surgery -> the
  region and the regions next to it (without a location the plan keeps the sites and warns,
  because the clinician must confirm the area); anticoagulants / bleeding disorder -> sites next
  to large vessels (and every site carries a "superficial, few insertions, firm pressure" note);
  lung disease -> no thorax sites; pregnancy -> no abdominal, sacral or low-back sites.
  A liftable exclusion (bleeding risk) is kept when the precaution is in `cleared`.
* never thorax needling on both sides in one session: thorax sites on the later-listed side
  are deferred to another session.
* every other precaution adds its clinical action as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge_base import KnowledgeBase
from ..loader import load_knowledge
from ..models import Muscle
from .site_rules import Precaution, load_limits, site_exclusions

BLEEDING_RISK = ("anticoagulants", "bleeding_disorder")
BLEEDING_NOTE = "Bleeding risk: superficial needling, few insertions, firm pressure afterwards."
SEVERITY_RANK = {"low": 1, "moderate": 2, "high": 3}


@dataclass(frozen=True)
class HazardNote:
    """A hazard of a suggested site with its caution text."""

    id: str
    name: str
    caution: str


@dataclass(frozen=True)
class PlanItem:
    """One suggested needling site: a muscle on a side, with depth, position and hazards."""

    muscle_id: str
    name: str
    side: str | None
    segments: tuple[str, ...]
    kind: str  # "paraspinal" or "peripheral"
    depth_mm: tuple[int, int]
    depth_confidence: str
    position: tuple[str, ...]
    thorax: bool
    body_region: str | None
    hazards: tuple[HazardNote, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "muscle": self.muscle_id,
            "name": self.name,
            "side": self.side,
            "segments": list(self.segments),
            "kind": self.kind,
            "depth_mm": list(self.depth_mm),
            "depth_confidence": self.depth_confidence,
            "position": list(self.position),
            "thorax": self.thorax,
            "body_region": self.body_region,
            "hazards": [vars(h) for h in self.hazards],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ExcludedSite:
    """A site left out of the plan, and why."""

    muscle_id: str
    side: str | None
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return vars(self).copy()


@dataclass(frozen=True)
class PlanWarning:
    """A warning for the clinician (clearance needed, technique change, ...)."""

    code: str
    consequence: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return vars(self).copy()


@dataclass(frozen=True)
class Plan:
    """Suggested sites (`items`), sites left out (`excluded`) and warnings. `blocked` means
    an absolute contraindication: no needling at all."""

    blocked: bool
    items: tuple[PlanItem, ...]
    excluded: tuple[ExcludedSite, ...] = ()
    warnings: tuple[PlanWarning, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "blocked": self.blocked,
            "items": [i.to_dict() for i in self.items],
            "excluded": [e.to_dict() for e in self.excluded],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _coerce_target(raw: Any) -> tuple[str, str | None]:
    if isinstance(raw, str):
        return raw, None
    if isinstance(raw, Mapping):
        return str(raw["segment"]), raw.get("side")
    segment, side = raw
    return str(segment), side


def _coerce_precaution(raw: str | Precaution | Mapping[str, Any]) -> Precaution:
    if isinstance(raw, Precaution):
        return raw
    if isinstance(raw, str):
        return Precaution(raw)
    return Precaution(
        id=str(raw["id"]),
        side=raw.get("side"),
        regions=tuple(raw.get("regions", ())),
        limb=raw.get("limb"),
    )


def hazard_rank(kb: KnowledgeBase, muscle: Muscle) -> int:
    """0 for a site with no listed hazard, else the rank of its gravest hazard (1 low .. 3 high)."""
    return max((SEVERITY_RANK[kb.hazards[h].severity] for h in muscle.hazards), default=0)


def site_order(kb: KnowledgeBase, segment: str, muscle: Muscle) -> tuple:
    """Sort key of a peripheral muscle in a segment's plan (see the module docstring)."""
    return (
        segment not in muscle.roots.primary,
        segment not in muscle.key_segments,
        hazard_rank(kb, muscle),
        len(muscle.roots.primary),
        muscle.depth_mm[1],
        muscle.name,
    )


def _candidate_sites(
    kb: KnowledgeBase, targets: list[tuple[str, str | None]]
) -> list[tuple[Muscle, str | None, list[str]]]:
    """Every candidate site in priority order: per target, its paraspinal row, then the
    myotome's muscles in `site_order`. A muscle serving two targets appears once."""
    sites: dict[tuple[str, str | None], tuple[Muscle, str | None, list[str]]] = {}
    for segment, side in targets:
        peripheral = sorted(
            kb.muscles_for_segment(segment), key=lambda m, seg=segment: site_order(kb, seg, m)
        )
        for muscle in kb.paraspinals_at(segment) + peripheral:
            key = (muscle.id, side)
            if key in sites:
                sites[key][2].append(segment)
            else:
                sites[key] = (muscle, side, [segment])
    return list(sites.values())


def suggest_plan(
    targets: Iterable[tuple[str, str | None] | Mapping[str, Any] | str],
    precautions: Iterable[str | Precaution | Mapping[str, Any]] = (),
    *,
    kb: KnowledgeBase | None = None,
    max_per_segment: int = 6,
    cleared: Iterable[str] = (),
) -> Plan:
    """Suggest needling sites for target segments, applying the patient's precautions.

    targets: (segment, side) pairs, {"segment": "C5", "side": "R"} dicts or bare segment ids
    (side unknown), highest priority first. precautions: contraindication ids or Precaution
    objects/dicts with a location. cleared: precaution ids resolved by a clearance, whose
    liftable exclusions (bleeding risk) no longer apply. Returns a Plan; raises ValueError on
    unknown ids.
    """
    kb = kb or load_knowledge()
    target_list = [_coerce_target(t) for t in targets]
    for segment, side in target_list:
        if segment not in kb.segments:
            raise ValueError(f"unknown segment {segment!r}")
        if side not in (None, "L", "R"):
            raise ValueError(f"side must be L, R or None, not {side!r}")
    precaution_list = [_coerce_precaution(p) for p in precautions]
    for precaution in precaution_list:
        if precaution.id not in kb.contraindications:
            raise ValueError(f"unknown precaution {precaution.id!r}")
    active = {p.id for p in precaution_list}

    warnings: list[PlanWarning] = []
    blocking = [kb.contraindications[p] for p in sorted(active)]
    blocking = [c for c in blocking if c.consequence == "block"]
    if blocking:
        warnings = [PlanWarning(c.id, c.consequence, c.clinical_action) for c in blocking]
        return Plan(blocked=True, items=(), warnings=tuple(warnings))

    limits = load_limits()
    cleared_ids = set(cleared)
    for precaution in precaution_list:
        item = kb.contraindications[precaution.id]
        located_rule = precaution.id in limits.located_rules
        if located_rule and not precaution.located:
            warnings.append(
                PlanWarning(
                    precaution.id,
                    "restrict_region",
                    f"{item.name}: location not recorded; confirm the area before needling.",
                )
            )
        if item.consequence != "restrict_region" or precaution.id == "lung_disease":
            warnings.append(PlanWarning(item.id, item.consequence, item.clinical_action))

    items: list[PlanItem] = []
    excluded: list[ExcludedSite] = []
    thorax_side: str | None | bool = False  # False = no thorax site kept yet
    kept_per_target: dict[tuple[str, str | None], int] = {}
    for muscle, side, segments in _candidate_sites(kb, target_list):
        region = kb.body_region_for(muscle, side).id if side else None
        hazards = kb.hazards_for(muscle)
        thorax = bool(muscle.thorax)
        reason: tuple[str, str] | None = None
        exclusions = [
            e
            for e in site_exclusions(kb, muscle, side, precaution_list, limits=limits)
            if not (e.liftable and e.precaution in cleared_ids)
        ]
        if exclusions:
            first = exclusions[0]
            code = "bleeding_risk" if first.precaution in BLEEDING_RISK else first.precaution
            reason = (code, first.reason[0].upper() + first.reason[1:] + ".")
        # Unsafe sites are dropped before the per-segment limit, so a safe alternative from
        # the same myotome takes their place.
        elif (
            not muscle.paraspinal and kept_per_target.get((segments[0], side), 0) >= max_per_segment
        ):
            continue
        elif thorax and thorax_side is not False and thorax_side != side:
            reason = (
                "bilateral_thorax",
                "Thorax already needled on the other side this session; defer to next session.",
            )
        if reason:
            excluded.append(ExcludedSite(muscle.id, side, *reason))
            continue
        if thorax:
            thorax_side = side
        if not muscle.paraspinal:
            target = (segments[0], side)
            kept_per_target[target] = kept_per_target.get(target, 0) + 1
        notes = [BLEEDING_NOTE] if active & set(BLEEDING_RISK) else []
        if muscle.notes:
            notes.append(muscle.notes)
        items.append(
            PlanItem(
                muscle_id=muscle.id,
                name=muscle.name,
                side=side,
                segments=tuple(segments),
                kind="paraspinal" if muscle.paraspinal else "peripheral",
                depth_mm=muscle.depth_mm,
                depth_confidence=muscle.depth_confidence,
                position=tuple(muscle.position),
                thorax=thorax,
                body_region=region,
                hazards=tuple(HazardNote(h.id, h.name, h.caution) for h in hazards),
                notes=tuple(notes),
            )
        )
    return Plan(False, tuple(items), tuple(excluded), tuple(warnings))
