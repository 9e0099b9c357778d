"""Questionnaire scoring and minimal-clinically-important-change checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..knowledge_base import KnowledgeBase
from ..loader import load_knowledge
from ..models import Instrument, InstrumentItem, ScoringRule


@dataclass(frozen=True)
class Score:
    """A scored questionnaire.

    total: the instrument's score on its own scale (e.g. LEFS 0-80, SPADI 0-100 %).
    subscales: the same rule applied to each subscale's items.
    normalised: total as 0-100 % of the instrument's range (for charts across instruments).
    interpretation: the band label the total falls in, if the instrument has bands.
    """

    instrument_id: str
    total: float
    subscales: dict[str, float] = field(default_factory=dict)
    normalised: float | None = None
    interpretation: str | None = None
    answered: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "instrument": self.instrument_id,
            "total": self.total,
            "subscales": dict(self.subscales),
            "normalised": self.normalised,
            "interpretation": self.interpretation,
            "answered": self.answered,
        }


def _instrument(ref: str | Instrument, kb: KnowledgeBase | None) -> Instrument:
    if isinstance(ref, Instrument):
        return ref
    kb = kb or load_knowledge()
    try:
        return kb.instruments[ref]
    except KeyError:
        raise ValueError(
            f"unknown instrument {ref!r}; known: {', '.join(kb.instruments)}"
        ) from None


def _checked_responses(instrument: Instrument, responses: Mapping[str, Any]) -> dict[str, float]:
    if not isinstance(responses, Mapping):
        raise ValueError("responses must be a mapping of item id to number")
    known = {item.id: item for item in instrument.items}
    values: dict[str, float] = {}
    for item_id, value in responses.items():
        item = known.get(str(item_id))
        if item is None:
            raise ValueError(f"{instrument.abbreviation}: unknown item {item_id!r}")
        if value is None:
            continue  # unanswered
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{instrument.abbreviation} item {item.id}: {value!r} is not a number")
        if not item.min <= value <= item.max:
            raise ValueError(
                f"{instrument.abbreviation} item {item.id}: {value:g} is outside "
                f"{item.min:g}..{item.max:g}"
            )
        values[item.id] = float(value)
    return values


def _apply(rule: ScoringRule, items: list[InstrumentItem], values: dict[str, float]) -> float:
    answered = [item for item in items if item.id in values]
    if not answered:
        raise ValueError("no items answered")
    if rule.method == "single":
        return values[answered[0].id]
    if rule.method == "mean":
        return sum(values[i.id] for i in answered) / len(answered)
    if rule.method == "percent":
        low = sum(i.min for i in answered)
        span = sum(i.max - i.min for i in answered)
        return (sum(values[i.id] for i in answered) - low) / span * 100
    total = sum(values[i.id] for i in answered)
    if rule.prorate and len(answered) < len(items):
        # NDI-style rule: scale the sum up as if the missing items scored the mean.
        total = total * len(items) / len(answered)
    return total


def _required_count(instrument: Instrument) -> int:
    if instrument.scoring.min_answered is not None:
        return instrument.scoring.min_answered
    return sum(1 for item in instrument.items if not item.optional)


def _band(instrument: Instrument, total: float) -> str | None:
    # Bands are inclusive integers in the sources; a fractional total (ODI 20.5) falls in the
    # last band whose lower bound it reaches.
    label = None
    for band in sorted(instrument.scoring.bands, key=lambda b: b.min):
        if total >= band.min:
            label = band.label
    return label


def score_instrument(
    instrument: str | Instrument,
    responses: Mapping[str, Any],
    *,
    kb: KnowledgeBase | None = None,
) -> Score:
    """Score responses ({item id: number or None}) for an instrument id or Instrument object.

    Raises ValueError naming the item for unknown items, non-numbers and out-of-range values,
    and when fewer items than the instrument's minimum are answered.
    """
    inst = _instrument(instrument, kb)
    values = _checked_responses(inst, responses)
    required = _required_count(inst)
    if inst.scoring.method == "sum" and not inst.scoring.prorate:
        missing = [i.id for i in inst.items if not i.optional and i.id not in values]
        if missing:
            raise ValueError(f"{inst.abbreviation}: unanswered items {', '.join(missing)}")
    if len(values) < required:
        raise ValueError(
            f"{inst.abbreviation}: {len(values)} items answered, at least {required} needed"
        )
    total = round(_apply(inst.scoring, list(inst.items), values), 2)
    subscales = {}
    for name, members in inst.scoring.subscales.items():
        member_items = [inst.item(item_id) for item_id in members]
        if any(item.id in values for item in member_items):
            subscales[name] = round(_apply(inst.scoring, member_items, values), 2)
    low, high = inst.range
    normalised = round((total - low) / (high - low) * 100, 2) if high > low else None
    return Score(inst.id, total, subscales, normalised, _band(inst, total), len(values))


def _as_total(value: float | Score) -> float:
    return value.total if isinstance(value, Score) else float(value)


def is_meaningful_change(
    instrument: str | Instrument,
    baseline: float | Score,
    current: float | Score,
    *,
    kb: KnowledgeBase | None = None,
) -> bool:
    """True when current is better than baseline by at least the instrument's MCID.

    Respects direction: for NPRS (lower is better) 7 -> 5 is an improvement of 2. Worsening is
    never "meaningful change" here; use `change_category` to tell the two apart. Raises
    ValueError for instruments without an MCID (PGIC and GROC are transition questions).
    """
    inst = _instrument(instrument, kb)
    if inst.mcid is None:
        raise ValueError(f"{inst.abbreviation} has no MCID (it is a transition question)")
    change = _as_total(current) - _as_total(baseline)
    improvement = change if inst.higher_is_better else -change
    return improvement >= inst.mcid - 1e-9


def change_category(
    instrument: str | Instrument,
    baseline: float | Score,
    current: float | Score,
    *,
    kb: KnowledgeBase | None = None,
) -> str:
    """'improved', 'worsened' (each by at least the MCID) or 'no_important_change'."""
    if is_meaningful_change(instrument, baseline, current, kb=kb):
        return "improved"
    if is_meaningful_change(instrument, current, baseline, kb=kb):
        return "worsened"
    return "no_important_change"
