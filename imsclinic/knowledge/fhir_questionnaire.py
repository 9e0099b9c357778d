"""Build an Instrument from a clinic-supplied FHIR R4 Questionnaire plus a scoring rule.

Licensed instruments (ODI, NDI, QuickDASH) cannot ship their wording. A clinic with a licence
exports the questionnaire as FHIR Questionnaire JSON; this module turns it into the same
Instrument model the shipped instruments use, so scoring and MCID checks work unchanged.

Item values come from, in order: the answerOption `ordinalValue` (R4) or `itemWeight` (R5)
extension, an integer answerOption value, the item's minValue/maxValue extensions, and finally
the scoring rule's `item_range`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from .models import Band, ClinicScoringRule, Instrument, InstrumentItem, ScoringRule

ORDINAL_EXTENSIONS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
)
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
SCORED_TYPES = ("integer", "decimal", "choice", "coding")
SKIPPED_TYPES = ("group", "display")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "questionnaire"


def _extension_number(element: Mapping[str, Any], url: str) -> float | None:
    for extension in element.get("extension", ()) or ():
        if extension.get("url") == url:
            for key in ("valueDecimal", "valueInteger"):
                if key in extension:
                    return float(extension[key])
    return None


def _option_value(option: Mapping[str, Any]) -> float | None:
    for url in ORDINAL_EXTENSIONS:
        value = _extension_number(option, url)
        if value is None and isinstance(option.get("valueCoding"), Mapping):
            value = _extension_number(option["valueCoding"], url)
        if value is not None:
            return value
    if "valueInteger" in option:
        return float(option["valueInteger"])
    return None


def _walk(items: Any) -> Iterator[Mapping[str, Any]]:
    for item in items or ():
        if not isinstance(item, Mapping):
            raise ValueError("every Questionnaire.item must be an object")
        yield item
        yield from _walk(item.get("item"))


def _item_range(
    item: Mapping[str, Any], default: tuple[float, float] | None
) -> tuple[float, float]:
    link_id = item.get("linkId")
    options = [_option_value(o) for o in item.get("answerOption", ()) or ()]
    if options and all(v is not None for v in options):
        return min(options), max(options)  # type: ignore[type-var]
    low, high = _extension_number(item, MIN_VALUE), _extension_number(item, MAX_VALUE)
    if low is not None and high is not None:
        return low, high
    if default is not None:
        return default
    raise ValueError(
        f"item {link_id!r}: no scored values (ordinalValue, minValue/maxValue) and no item_range"
    )


def instrument_from_fhir_questionnaire(
    questionnaire: Mapping[str, Any], scoring: Mapping[str, Any] | ClinicScoringRule
) -> Instrument:
    """Build an Instrument (licence "clinic_supplied") from FHIR Questionnaire JSON.

    scoring: a ClinicScoringRule (e.g. `load_knowledge().clinic_scoring["odi"]`) or a dict with
    the same keys: method, range, higher_is_better, and optionally id, name, abbreviation,
    item_range, min_answered, prorate, subscales ({name: [linkId, ...]}), bands, mcid,
    mcid_source, mcid_note, expected_items, licence_note, sources, confidence.
    Raises ValueError with a clear message for malformed input.
    """
    if (
        not isinstance(questionnaire, Mapping)
        or questionnaire.get("resourceType") != "Questionnaire"
    ):
        raise ValueError("expected a FHIR Questionnaire resource (resourceType 'Questionnaire')")
    spec = scoring.model_dump() if isinstance(scoring, ClinicScoringRule) else dict(scoring)
    default_range = tuple(spec["item_range"]) if spec.get("item_range") else None

    items = []
    for item in _walk(questionnaire.get("item")):
        item_type = item.get("type")
        if item_type in SKIPPED_TYPES:
            continue
        if item_type not in SCORED_TYPES:
            raise ValueError(f"item {item.get('linkId')!r}: type {item_type!r} cannot be scored")
        if not item.get("linkId"):
            raise ValueError("every scored item needs a linkId")
        low, high = _item_range(item, default_range)  # type: ignore[arg-type]
        items.append(
            InstrumentItem(
                id=str(item["linkId"]),
                text=str(item.get("text", item["linkId"])),
                min=low,
                max=high,
                optional=not item.get("required", True),
            )
        )
    if not items:
        raise ValueError("the Questionnaire has no scorable items")
    expected = spec.get("expected_items")
    if expected is not None and len(items) != expected:
        raise ValueError(f"expected {expected} scored items, found {len(items)}")

    name = (
        spec.get("name")
        or questionnaire.get("title")
        or questionnaire.get("name")
        or "Questionnaire"
    )
    instrument_id = spec.get("id") or _slug(
        str(questionnaire.get("name") or questionnaire.get("id") or name)
    )
    try:
        return Instrument(
            id=instrument_id,
            name=name,
            abbreviation=spec.get("abbreviation") or name,
            items=items,
            scoring=ScoringRule(
                method=spec["method"],
                min_answered=spec.get("min_answered"),
                prorate=spec.get("prorate", False),
                subscales=spec.get("subscales") or {},
                bands=[Band.model_validate(b) for b in spec.get("bands") or ()],
            ),
            range=tuple(spec["range"]),
            higher_is_better=spec["higher_is_better"],
            mcid=spec.get("mcid"),
            mcid_source=spec.get("mcid_source"),
            mcid_note=spec.get("mcid_note"),
            licence="clinic_supplied",
            licence_note=spec.get("licence_note")
            or "Supplied by the clinic under its own licence.",
            sources=list(spec.get("sources") or ()),
            confidence=spec.get("confidence", "unverified"),
        )
    except KeyError as exc:
        raise ValueError(f"scoring spec is missing {exc.args[0]!r}") from None
    except ValidationError as exc:
        raise ValueError(f"invalid instrument from questionnaire: {exc}") from None
