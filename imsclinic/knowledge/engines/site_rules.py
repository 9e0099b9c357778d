"""Where a patient's precautions forbid needling, and the limits no acknowledgement lifts.

One pure-Python rule, read from needling_limits.yaml, used by both the plan engine
(`suggest_plan` leaves the site out) and the clinical signing rules (signing refuses the site),
so the two always agree:

* `site_exclusions(kb, muscle, side, precautions)`: every precaution that excludes the site, with
  its reason and whether a clearance or a reasoned decision may lift it.
* `depth_ceiling(muscle)`: the hard depth ceiling of a muscle over the thorax.
* `bilateral_thorax_problem(...)`: both sides of the thorax in one session, with the lamina
  exception a clinic policy may allow for thoracic paraspinals.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import KnowledgeDataError
from ..knowledge_base import SIDE_SUFFIX, KnowledgeBase
from ..loader import DATA_DIR, load_knowledge, read_yaml
from ..models import Muscle

LIMITS_FILE = "needling_limits.yaml"


@dataclass(frozen=True)
class Precaution:
    """A patient precaution (a contraindication id) with an optional location.

    regions: sided body-chart ids (arm_front_l) or side-neutral areas (arm_front, combined
    with `side`); limb: "upper" or "lower" (combined with `side`, or both sides if None).
    """

    id: str
    side: str | None = None
    regions: tuple[str, ...] = ()
    limb: str | None = None

    @property
    def located(self) -> bool:
        """True when the precaution says where it applies."""
        return bool(self.regions or self.limb or self.side)


@dataclass(frozen=True)
class SiteExclusion:
    """Why a precaution excludes a site. `liftable`: a clearance, or a reasoned decision naming
    the site, may lift it; otherwise nothing recorded lifts it."""

    precaution: str
    reason: str
    liftable: bool


# ---- the data ----


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteMatch(_Row):
    thorax: bool = False
    vascular_hazard: bool = False
    chart_areas: list[str] = Field(default_factory=list)


class SiteRule(_Row):
    precaution: str
    sites: SiteMatch
    liftable: bool
    reason: str
    sources: list[str] = Field(min_length=1)
    confidence: str


class LocatedRule(_Row):
    precaution: str
    spread: Literal["lymphatic_quadrant", "adjacent_regions"]
    reason: str
    sources: list[str] = Field(min_length=1)
    confidence: str


class Quadrant(_Row):
    id: str
    label: str
    areas: list[str]
    sources: list[str] = Field(min_length=1)
    confidence: str


class Adjacency(_Row):
    sources: list[str] = Field(min_length=1)
    confidence: str
    midline_areas: list[str]
    neighbours: dict[str, list[str]]


class Ceiling(_Row):
    muscle: str
    ceiling_mm: int = Field(gt=0, le=120)
    sources: list[str] = Field(min_length=1)
    confidence: str


class BilateralThorax(_Row):
    policy_key: str
    reason: str
    lamina_exception: str
    sources: list[str] = Field(min_length=1)
    confidence: str


class NeedlingLimits(_Row):
    site_exclusions: list[SiteRule]
    located_exclusions: list[LocatedRule]
    lymphatic_quadrants: list[Quadrant]
    region_adjacency: Adjacency
    thorax_depth_ceilings: list[Ceiling]
    bilateral_thorax: BilateralThorax


@dataclass(frozen=True)
class Limits:
    """The validated rules with their lookups."""

    data: NeedlingLimits
    site_rules: dict[str, tuple[SiteRule, ...]]
    located_rules: dict[str, LocatedRule]
    quadrant_of_area: dict[str, str]
    adjacent: dict[str, frozenset[str]]  # side-neutral area -> same-side neighbours
    ceilings: dict[str, Ceiling]


def _fail(field: str, row: str, message: str):
    raise KnowledgeDataError(LIMITS_FILE, row, field, message)


def build_limits(kb: KnowledgeBase, path: Path) -> Limits:
    """Validate needling_limits.yaml against the knowledge base (ids, sources, ceilings)."""
    _, raw = read_yaml(path, path.parent)
    try:
        data = NeedlingLimits.model_validate(raw)
    except Exception as error:  # pydantic's message names the field
        raise KnowledgeDataError(LIMITS_FILE, None, None, str(error)) from error

    def cites(row: str, sources: Iterable[str]) -> None:
        for source in sources:
            if source not in kb.sources:
                _fail("sources", row, f"unknown source {source!r}")

    def area(row: str, area_id: str) -> None:
        if area_id not in kb.body_areas:
            _fail("areas", row, f"unknown body-chart area {area_id!r}")

    site_rules: dict[str, list[SiteRule]] = {}
    for rule in data.site_exclusions:
        if rule.precaution not in kb.contraindications:
            _fail("precaution", rule.precaution, "unknown contraindication")
        for area_id in rule.sites.chart_areas:
            area(rule.precaution, area_id)
        cites(rule.precaution, rule.sources)
        site_rules.setdefault(rule.precaution, []).append(rule)
    located = {}
    for rule in data.located_exclusions:
        if rule.precaution not in kb.contraindications:
            _fail("precaution", rule.precaution, "unknown contraindication")
        cites(rule.precaution, rule.sources)
        located[rule.precaution] = rule
    quadrant_of_area: dict[str, str] = {}
    for quadrant in data.lymphatic_quadrants:
        cites(quadrant.id, quadrant.sources)
        for area_id in quadrant.areas:
            area(quadrant.id, area_id)
            if area_id in quadrant_of_area:
                _fail("areas", quadrant.id, f"{area_id!r} is in two quadrants")
            quadrant_of_area[area_id] = quadrant.id
    adjacency = data.region_adjacency
    cites("region_adjacency", adjacency.sources)
    adjacent: dict[str, set[str]] = {area_id: set() for area_id in kb.body_areas}
    for area_id, neighbours in adjacency.neighbours.items():
        area("region_adjacency", area_id)
        for neighbour in neighbours:
            area("region_adjacency", neighbour)
            adjacent[area_id].add(neighbour)
            adjacent[neighbour].add(area_id)
    for area_id in adjacency.midline_areas:
        area("region_adjacency.midline_areas", area_id)
    ceilings = {}
    for ceiling in data.thorax_depth_ceilings:
        muscle = kb.muscles.get(ceiling.muscle)
        if muscle is None:
            _fail("muscle", ceiling.muscle, "unknown muscle")
        cites(ceiling.muscle, ceiling.sources)
        if ceiling.ceiling_mm < muscle.depth_mm[1]:
            _fail(
                "ceiling_mm",
                ceiling.muscle,
                f"ceiling {ceiling.ceiling_mm} mm is shallower than the depth guidance "
                f"{muscle.depth_mm[0]}-{muscle.depth_mm[1]} mm",
            )
        ceilings[ceiling.muscle] = ceiling
    for muscle in kb.muscles.values():
        if kb.is_thorax(muscle) and muscle.id not in ceilings:
            _fail("thorax_depth_ceilings", muscle.id, "a muscle over the thorax needs a ceiling")
    cites("bilateral_thorax", data.bilateral_thorax.sources)
    return Limits(
        data=data,
        site_rules={key: tuple(rules) for key, rules in site_rules.items()},
        located_rules=located,
        quadrant_of_area=quadrant_of_area,
        adjacent={key: frozenset(value) for key, value in adjacent.items()},
        ceilings=ceilings,
    )


@functools.lru_cache(maxsize=4)
def load_limits(data_dir: str | Path | None = None) -> Limits:
    """The needling limits, loaded once per process and checked against the knowledge base."""
    directory = Path(data_dir) if data_dir is not None else DATA_DIR
    return build_limits(load_knowledge(data_dir), directory / LIMITS_FILE)


# ---- the rule ----


def _sides(side: str | None) -> list[str]:
    return [side] if side in SIDE_SUFFIX else list(SIDE_SUFFIX)


def _other(side: str) -> str:
    return "L" if side == "R" else "R"


def _sided_areas(kb: KnowledgeBase, precaution: Precaution) -> set[tuple[str, str]]:
    """(side-neutral area, side) pairs a located precaution names."""
    found: set[tuple[str, str]] = set()
    for region in precaution.regions:
        if region in kb.body_regions:
            sided = kb.body_regions[region]
            found.add((sided.area.id, sided.side))
        elif region in kb.body_areas:
            found |= {(region, side) for side in _sides(precaution.side)}
        else:
            raise ValueError(f"precaution {precaution.id!r}: unknown body region {region!r}")
    limb_sides = _sides(precaution.side)
    if precaution.limb or (precaution.side and not precaution.regions):
        # A limb, or only a side (the usual record for lymphoedema): that side's limbs.
        for area in kb.body_areas.values():
            if area.limb is not None and (precaution.limb in (None, area.limb)):
                found |= {(area.id, side) for side in limb_sides}
    return found


def excluded_regions(
    kb: KnowledgeBase, precaution: Precaution, limits: Limits | None = None
) -> set[str]:
    """Sided region ids a located precaution excludes, spread per its rule (whole lymphatic
    quadrant for lymphoedema, the region and its neighbours for an infection)."""
    limits = limits or load_limits()
    rule = limits.located_rules.get(precaution.id)
    named = _sided_areas(kb, precaution)
    spread: set[tuple[str, str]] = set(named)
    if rule is not None and rule.spread == "lymphatic_quadrant":
        for area_id, side in named:
            quadrant = limits.quadrant_of_area.get(area_id)
            if quadrant is not None:
                spread |= {(a, side) for a, q in limits.quadrant_of_area.items() if q == quadrant}
    elif rule is not None and rule.spread == "adjacent_regions":
        midline = set(limits.data.region_adjacency.midline_areas)
        for area_id, side in named:
            spread |= {(neighbour, side) for neighbour in limits.adjacent[area_id]}
            if area_id in midline:
                spread.add((area_id, _other(side)))
    return {f"{area_id}_{SIDE_SUFFIX[side]}" for area_id, side in spread}


def _matches(kb: KnowledgeBase, muscle: Muscle, sites: SiteMatch) -> bool:
    if sites.thorax and kb.is_thorax(muscle):
        return True
    if sites.vascular_hazard and any(h.vascular for h in kb.hazards_for(muscle)):
        return True
    return muscle.chart_area in sites.chart_areas


def site_exclusions(
    kb: KnowledgeBase,
    muscle: Muscle,
    side: str | None,
    precautions: Iterable[Precaution],
    *,
    limits: Limits | None = None,
) -> list[SiteExclusion]:
    """Every precaution that excludes needling `muscle` on `side` ("B" or None: both sides).

    Located precautions without a location exclude nothing here: the caller must ask for the
    area (the plan warns, signing refuses) because the rule cannot guess it.
    """
    limits = limits or load_limits()
    found: list[SiteExclusion] = []
    regions = {kb.body_region_for(muscle, s).id for s in _sides(side)}
    for precaution in precautions:
        item = kb.contraindications[precaution.id]
        located = limits.located_rules.get(precaution.id)
        if located is not None and precaution.located:
            if regions & excluded_regions(kb, precaution, limits):
                found.append(SiteExclusion(precaution.id, f"{item.name}: {located.reason}", False))
        for rule in limits.site_rules.get(precaution.id, ()):
            if _matches(kb, muscle, rule.sites):
                found.append(
                    SiteExclusion(precaution.id, f"{item.name}: {rule.reason}", rule.liftable)
                )
    return found


def depth_ceiling(muscle: Muscle, *, limits: Limits | None = None) -> Decimal | None:
    """The hard ceiling (mm) of a muscle over the thorax; None for other muscles."""
    limits = limits or load_limits()
    ceiling = limits.ceilings.get(muscle.id)
    if ceiling is None or not muscle.thorax:
        return None
    return Decimal(ceiling.ceiling_mm)


def is_thoracic_paraspinal(muscle: Muscle) -> bool:
    return bool(muscle.paraspinal and muscle.level and muscle.level.startswith("T"))


def bilateral_thorax_problem(
    kb: KnowledgeBase,
    rows: Iterable[tuple[Muscle, str]],
    *,
    lamina_policy: bool,
    lamina_recorded: bool,
    limits: Limits | None = None,
) -> str | None:
    """Why needling these (muscle, side) rows in one session is a hard stop, or None.

    Sides "B" count as both. The clinic's lamina policy allows both sides only when every thorax
    row is a thoracic paraspinal and the session records the on-lamina technique.
    """
    limits = limits or load_limits()
    thorax_rows = [(muscle, side) for muscle, side in rows if kb.is_thorax(muscle)]
    sides: set[str] = set()
    for _muscle, side in thorax_rows:
        sides |= set(_sides(side))
    if not sides >= {"L", "R"}:
        return None
    rule = limits.data.bilateral_thorax
    only_paraspinals = all(is_thoracic_paraspinal(muscle) for muscle, _side in thorax_rows)
    if lamina_policy and only_paraspinals:
        if lamina_recorded:
            return None
        return (
            "Thoracic paraspinals were charted on both sides: record that the needle was "
            "directed onto the lamina on both sides, or defer one side to the next session."
        )
    return rule.reason
