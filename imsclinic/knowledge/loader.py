"""Load the YAML knowledge files, validate every row, and cross-check references.

A broken row raises KnowledgeDataError naming the file, the row (its id, or #index when it has
none) and the field, so a reviewer editing YAML sees exactly what to fix.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import KnowledgeDataError
from .knowledge_base import KnowledgeBase
from .models import (
    BodyRegion,
    ClinicScoringRule,
    Condition,
    Contraindication,
    GunnSign,
    Hazard,
    Instrument,
    Muscle,
    ScreeningConfig,
    Segment,
    Source,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
ModelT = TypeVar("ModelT", bound=BaseModel)

# libyaml's C loader is several times faster (needling_limits.yaml: 6 ms against 127 ms); the
# pure-Python SafeLoader is for a PyYAML built without libyaml.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, data_dir: Path) -> tuple[str, Any]:
    """(the file's name relative to `data_dir`, its parsed YAML); unparsable YAML is a
    KnowledgeDataError naming the file."""
    label = path.relative_to(data_dir).as_posix()
    try:
        with path.open(encoding="utf-8") as handle:
            return label, yaml.load(handle, Loader=_Loader)  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        raise KnowledgeDataError(label, None, None, f"not valid YAML: {exc}") from exc


def _format_errors(exc: ValidationError) -> tuple[str, str]:
    """First failing field, and every problem as 'field: message' lines."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(row)"
        problems.append(f"{field}: {error['msg']}")
    first_field = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "(row)"
    return first_field, "; ".join(problems)


def _validate(model: type[ModelT], raw: Any, label: str, row: str) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        field, problems = _format_errors(exc)
        raise KnowledgeDataError(label, row, field, problems) from exc


def _rows(path: Path, data_dir: Path, key: str, model: type[ModelT]) -> list[tuple[str, ModelT]]:
    label, doc = read_yaml(path, data_dir)
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise KnowledgeDataError(label, None, key, f"expected a top-level list `{key}:`")
    rows = []
    for index, raw in enumerate(doc[key]):
        row_id = raw.get("id") if isinstance(raw, dict) else None
        rows.append((label, _validate(model, raw, label, str(row_id or f"#{index}"))))
    return rows


def _by_id(rows: Iterable[tuple[str, ModelT]]) -> dict[str, ModelT]:
    result: dict[str, ModelT] = {}
    for label, row in rows:
        row_id = row.id  # type: ignore[attr-defined]
        if row_id in result:
            raise KnowledgeDataError(label, row_id, "id", "duplicate id")
        result[row_id] = row
    return result


class _Checker:
    """Cross-row reference checks; each failure names the file, row and field."""

    def __init__(self, sources: dict[str, Source], segments: dict[str, Segment]) -> None:
        self.sources = sources
        self.segments = segments

    def cites(self, label: str, row: str, field: str, ids: Iterable[str | None]) -> None:
        for source_id in ids:
            if source_id is not None and source_id not in self.sources:
                raise KnowledgeDataError(label, row, field, f"unknown source {source_id!r}")

    def known(self, label: str, row: str, field: str, ids: Iterable[str], known: Any) -> None:
        for value in ids:
            if value not in known:
                raise KnowledgeDataError(label, row, field, f"unknown id {value!r}")


def _load_muscles(data_dir: Path) -> list[tuple[str, Muscle]]:
    rows = []
    for path in sorted((data_dir / "muscles").glob("*.yaml")):
        rows += _rows(path, data_dir, "muscles", Muscle)
    return rows


def _load_instruments(data_dir: Path) -> tuple[list, list]:
    instruments, clinic_rules = [], []
    for path in sorted((data_dir / "instruments").glob("*.yaml")):
        label, doc = read_yaml(path, data_dir)
        if isinstance(doc, dict) and "scoring_rules" in doc:
            clinic_rules += _rows(path, data_dir, "scoring_rules", ClinicScoringRule)
        elif isinstance(doc, dict) and isinstance(doc.get("instrument"), dict):
            raw = doc["instrument"]
            instruments.append((label, _validate(Instrument, raw, label, str(raw.get("id")))))
        else:
            raise KnowledgeDataError(label, None, "instrument", "expected `instrument:` mapping")
    return instruments, clinic_rules


def build_knowledge(data_dir: Path) -> KnowledgeBase:
    """Load and validate every file under data_dir (uncached; tests use it with temp copies)."""
    sources = _by_id(_rows(data_dir / "sources.yaml", data_dir, "sources", Source))
    segment_rows = _rows(data_dir / "segments.yaml", data_dir, "segments", Segment)
    segments = _by_id(segment_rows)
    check = _Checker(sources, segments)
    for label, segment in segment_rows:
        check.cites(label, segment.id, "sources", segment.sources)

    area_rows = _rows(data_dir / "body_regions.yaml", data_dir, "body_regions", BodyRegion)
    for label, area in area_rows:
        check.cites(label, area.id, "sources", area.sources)

    hazard_rows = _rows(data_dir / "hazards.yaml", data_dir, "hazards", Hazard)
    for label, hazard in hazard_rows:
        check.cites(label, hazard.id, "sources", hazard.sources)
    hazards = _by_id(hazard_rows)
    areas = _by_id(area_rows)

    muscle_rows = _load_muscles(data_dir)
    for label, muscle in muscle_rows:
        check.cites(label, muscle.id, "sources", muscle.sources)
        check.cites(
            label, muscle.id, "alternatives.source", (a.source for a in muscle.alternatives)
        )
        check.known(label, muscle.id, "hazards", muscle.hazards, hazards)
        check.known(label, muscle.id, "chart_area", [muscle.chart_area], areas)
    # Resolve the thorax flag once so every consumer sees a plain bool.
    muscles = {
        muscle_id: muscle
        if muscle.thorax is not None
        else muscle.model_copy(update={"thorax": any(hazards[h].thorax for h in muscle.hazards)})
        for muscle_id, muscle in _by_id(muscle_rows).items()
    }

    condition_rows = _rows(data_dir / "conditions.yaml", data_dir, "conditions", Condition)
    for label, condition in condition_rows:
        check.cites(label, condition.id, "sources", condition.sources)
        check.known(label, condition.id, "muscles", condition.muscles, muscles)

    ci_rows = _rows(
        data_dir / "contraindications.yaml", data_dir, "contraindications", Contraindication
    )
    for label, item in ci_rows:
        check.cites(label, item.id, "sources", item.sources)

    label, screening_doc = read_yaml(data_dir / "screening.yaml", data_dir)
    screening = _validate(ScreeningConfig, screening_doc, label, "(file)")
    for flag in screening.red_flags:
        check.cites(label, flag.id, "sources", flag.sources)
    limbs = screening.lymphoedema_limbs
    check.cites(label, "lymphoedema_limbs", "sources", limbs.sources)
    check.known(label, "lymphoedema_limbs", "precaution", [limbs.precaution], _by_id(ci_rows))

    sign_rows = _rows(data_dir / "gunn_signs.yaml", data_dir, "gunn_signs", GunnSign)
    for label, sign in sign_rows:
        check.cites(label, sign.id, "sources", sign.sources)

    instrument_rows, clinic_rows = _load_instruments(data_dir)
    for label, instrument in instrument_rows + clinic_rows:
        check.cites(label, instrument.id, "sources", instrument.sources)
        check.cites(label, instrument.id, "mcid_source", [instrument.mcid_source])
        check.cites(label, instrument.id, "mdc_source", [getattr(instrument, "mdc_source", None)])

    knowledge = KnowledgeBase(
        sources=sources,
        segments=segments,
        body_areas=areas,
        hazards=hazards,
        muscles=muscles,
        conditions=_by_id(condition_rows),
        contraindications=_by_id(ci_rows),
        screening=screening,
        gunn_signs=_by_id(sign_rows),
        instruments=_by_id(instrument_rows),
        clinic_scoring=_by_id(clinic_rows),
    )
    _check_answer_fields(knowledge)
    return knowledge


def _check_answer_fields(knowledge: KnowledgeBase) -> None:
    seen: set[str] = set()
    for spec in knowledge.screening_answer_specs():
        if spec.field in seen:
            raise KnowledgeDataError(
                "contraindications.yaml/screening.yaml", spec.field, "answer.field", "duplicate"
            )
        seen.add(spec.field)


@functools.lru_cache(maxsize=4)
def load_knowledge(data_dir: str | Path | None = None) -> KnowledgeBase:
    """The knowledge base, loaded once per process (cached) from the packaged YAML files."""
    return build_knowledge(Path(data_dir) if data_dir is not None else DATA_DIR)
