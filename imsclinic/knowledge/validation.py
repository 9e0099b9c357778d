"""Which ids exist in the knowledge base, by kind: the check behind every stored knowledge id.

Charts, courses and outcomes store knowledge ids (a muscle, a condition, an instrument ...) as
plain strings. `is_known_id(kind, value)` is the one test they all use, so a typo or an id that
never existed ("multifidus") is refused when it is saved, not discovered in a report later.
The Django field that applies it lives in `fields.py`; this module stays free of Django.
"""

from __future__ import annotations

from collections.abc import Callable

from .knowledge_base import KnowledgeBase
from .loader import load_knowledge

_KINDS: dict[str, tuple[str, Callable[[KnowledgeBase], frozenset[str]]]] = {
    "muscle": ("muscle", lambda kb: frozenset(kb.muscles)),
    "condition": ("condition", lambda kb: frozenset(kb.conditions)),
    "hazard": ("hazard", lambda kb: frozenset(kb.hazards)),
    # Shipped instruments plus the licensed ones whose scoring rules ship (ODI, NDI, QuickDASH).
    "instrument": (
        "outcome instrument",
        lambda kb: frozenset(kb.instruments) | frozenset(kb.clinic_scoring),
    ),
    "segment": ("spinal segment", lambda kb: frozenset(kb.segments)),
    "contraindication": ("contraindication", lambda kb: frozenset(kb.contraindications)),
    "body_region": ("body-chart region", lambda kb: frozenset(kb.body_regions)),
}
KNOWLEDGE_ID_KINDS = tuple(_KINDS)


def kind_label(kind: str) -> str:
    """Plain words for a kind ("muscle", "outcome instrument", ...)."""
    return _KINDS[kind][0]


def known_ids(kind: str, *, kb: KnowledgeBase | None = None) -> frozenset[str]:
    """Every id of a kind (KeyError naming the kinds for an unknown kind)."""
    if kind not in _KINDS:
        raise KeyError(f"unknown knowledge id kind {kind!r}; use one of {', '.join(_KINDS)}")
    return _KINDS[kind][1](kb or load_knowledge())


def is_known_id(kind: str, value: object, *, kb: KnowledgeBase | None = None) -> bool:
    """True when value is an id of that kind in the knowledge base."""
    return isinstance(value, str) and value in known_ids(kind, kb=kb)
