"""Safety facts shown while charting and the rules that refuse to sign an unsafe record.

Everything clinical comes from the knowledge base (hazards, thorax flags, depth guidance,
contraindications); this module only applies it to a patient's records. The signing rules are
called by the sign actions, so the UI, the API and commands all get the same refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from imsclinic.knowledge import load_knowledge

SEVERITY = {"danger": 0, "warn": 1, "info": 2}


def kb():
    return load_knowledge()


def muscle_or_none(muscle_id: str):
    return kb().muscles.get(muscle_id or "")


def muscle_label(muscle_id: str) -> str:
    muscle = muscle_or_none(muscle_id)
    return muscle.name if muscle else muscle_id


def segments_label(muscle) -> str:
    """'C5, C6 (C4)' : primary roots, minor roots in brackets; cranial nerves as 'CN XI'."""
    parts = ", ".join(muscle.roots.primary)
    if muscle.roots.minor:
        parts += f" ({', '.join(muscle.roots.minor)})"
    if muscle.cranial_nerves:
        cranial = ", ".join(f"CN {n}" for n in muscle.cranial_nerves)
        parts = f"{parts}; {cranial}" if parts else cranial
    return parts


def muscle_facts(muscle_id: str) -> dict | None:
    """What the charting screen shows for a muscle: segment, depth guidance, hazards, thorax."""
    muscle = muscle_or_none(muscle_id)
    if muscle is None:
        return None
    base = kb()
    return {
        "id": muscle.id,
        "name": muscle.name,
        "segments": segments_label(muscle),
        "paraspinal_level": muscle.level or "",
        "depth_min": muscle.depth_mm[0],
        "depth_max": muscle.depth_mm[1],
        "depth_confidence": muscle.depth_confidence,
        "thorax": base.is_thorax(muscle),
        "hazards": [
            {"id": h.id, "name": h.name, "caution": h.caution} for h in base.hazards_for(muscle)
        ],
        "notes": muscle.notes or "",
    }


def muscle_choices() -> list[tuple[str, str]]:
    """(id, 'Name · segments') for pickers, alphabetical."""
    rows = [(m.id, f"{m.name} · {segments_label(m)}") for m in kb().muscles.values()]
    return sorted(rows, key=lambda row: row[1].lower())


def search_muscles(query: str, limit: int = 12) -> list:
    """Muscles whose name, id or synonym contains the query (for the htmx picker)."""
    from imsclinic.knowledge.knowledge_base import normalise_name

    key = normalise_name(query or "")
    if not key:
        return []
    found = []
    for muscle in kb().muscles.values():
        names = [muscle.id, muscle.name, *muscle.synonyms]
        if any(key in normalise_name(name) for name in names):
            starts = normalise_name(muscle.name).startswith(key)
            found.append((not starts, muscle.name.lower(), muscle))
    return [muscle for *_key, muscle in sorted(found, key=lambda r: r[:2])][:limit]


def is_thorax_muscle(muscle_id: str) -> bool:
    muscle = muscle_or_none(muscle_id)
    return bool(muscle and kb().is_thorax(muscle))


def is_over_depth(muscle_id: str, depth_mm) -> bool:
    """True when the charted depth is beyond the deepest depth the knowledge gives the muscle."""
    muscle = muscle_or_none(muscle_id)
    if muscle is None or depth_mm is None:
        return False
    return Decimal(str(depth_mm)) > Decimal(muscle.depth_mm[1])


def row_sides(side: str) -> set[str]:
    return {"L", "R"} if side == "B" else {side}


def bilateral_thorax(rows) -> bool:
    """Thorax needled on both sides in one session (the knowledge caution says never)."""
    sides: set[str] = set()
    for row in rows:
        if is_thorax_muscle(row.muscle_id):
            sides |= row_sides(row.side)
    return sides >= {"L", "R"}


@dataclass(frozen=True)
class Precaution:
    """A contraindication or precaution that applies to the patient, and where it came from."""

    id: str
    name: str
    kind: str  # absolute / relative
    consequence: str
    clinical_action: str
    source: str
    regions: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.kind == "absolute" and self.consequence == "block"


def contraindication_choices() -> list:
    """Knowledge contraindications, absolute first, for the pre-session check."""
    items = list(kb().contraindications.values())
    return sorted(items, key=lambda c: (c.kind != "absolute", c.name))


def screening_precautions(answers: dict, *, source: str) -> list[Precaution]:
    """Contraindications triggered by screening answers (knowledge `triggered_reasons`: stored
    answers count even when a question added later was never asked)."""
    from imsclinic.knowledge import InvalidAnswersError, triggered_reasons

    if not answers:
        return []
    try:
        reasons = triggered_reasons(answers)
    except InvalidAnswersError:
        return []
    base = kb()
    found = []
    for reason in reasons:
        item = base.contraindications.get(reason.code)
        if item is not None:
            found.append(
                Precaution(
                    item.id, item.name, item.kind, item.consequence, item.clinical_action, source
                )
            )
    return found


def precheck_precautions(precheck: dict, *, source: str) -> list[Precaution]:
    base = kb()
    found = []
    for entry in (precheck or {}).get("items", []):
        item = base.contraindications.get(entry.get("id", ""))
        if item is not None:
            found.append(
                Precaution(
                    item.id,
                    item.name,
                    item.kind,
                    item.consequence,
                    item.clinical_action,
                    source,
                    tuple(entry.get("regions") or ()),
                )
            )
    return found


def patient_precautions(patient, *, session=None) -> list[Precaution]:
    """Precautions on record: the latest signed assessment's screening, prechecks of signed
    sessions since then, and `session`'s own precheck. De-duplicated by id (latest wins)."""
    from imsclinic.clinical.models import Assessment, TreatmentSession

    found: dict[str, Precaution] = {}
    assessment = Assessment.objects.filter(patient=patient).signed().first()
    if assessment is not None:
        for item in screening_precautions(assessment.screening_answers, source="assessment"):
            found[item.id] = item
    earlier = TreatmentSession.objects.filter(patient=patient).signed()
    if assessment is not None:
        earlier = earlier.filter(signed_at__gte=assessment.signed_at)
    if session is not None and session.pk:
        earlier = earlier.exclude(pk=session.pk)
    for previous in earlier.order_by("started_at").only("precheck", "session_number"):
        for item in precheck_precautions(
            previous.precheck, source=f"session {previous.session_number}"
        ):
            found[item.id] = item
    if session is not None:
        for item in precheck_precautions(session.precheck, source="today's check"):
            found[item.id] = item
    return sorted(found.values(), key=lambda p: (not p.blocks, p.kind != "absolute", p.name))


def region_of_row(muscle_id: str, side: str) -> set[str]:
    muscle = muscle_or_none(muscle_id)
    if muscle is None:
        return set()
    base = kb()
    return {base.body_region_for(muscle, s).id for s in row_sides(side)}


def absolute_problems(precautions: list[Precaution], rows=()) -> list[str]:
    """Refusal reasons for absolute contraindications.

    A `block` item (e.g. medical emergency, unable to consent) refuses outright. A located
    absolute item (lymphoedema, infection at the site: `restrict_region`) refuses when a needled
    site lies in one of its regions, or when its regions were not recorded and anything was
    needled, because the practitioner must confirm the area.
    """
    reasons = []
    for item in precautions:
        if item.kind != "absolute":
            continue
        if item.blocks:
            reasons.append(
                f"Absolute contraindication recorded ({item.source}): {item.name}. "
                f"{item.clinical_action}"
            )
            continue
        needled = [(row.muscle_id, row.side) for row in rows]
        if not needled:
            continue
        if not item.regions:
            reasons.append(
                f"Absolute contraindication recorded ({item.source}): {item.name}, without the "
                "affected area. Record where it is in the pre-session check."
            )
            continue
        hit = [m for m, s in needled if region_of_row(m, s) & set(item.regions)]
        if hit:
            names = ", ".join(sorted({muscle_label(m) for m in hit}))
            reasons.append(
                f"Absolute contraindication ({item.source}): {item.name} in the area of {names}. "
                "No needling there."
            )
    return reasons


def session_alerts(session, rows) -> list[dict]:
    """Warnings shown on the charting screen, most serious first."""
    alerts = []
    for item in patient_precautions(session.patient, session=session):
        level = "danger" if item.kind == "absolute" else "warn"
        alerts.append(
            {
                "level": level,
                "title": f"{item.name} ({item.source})",
                "text": item.clinical_action,
            }
        )
    if bilateral_thorax(rows):
        alerts.append(
            {
                "level": "danger",
                "title": "Thorax needled on both sides in one session",
                "text": "Knowledge caution: never needle both sides of the thorax in one "
                "session (pneumothorax risk). Defer one side to the next session.",
            }
        )
    for row in rows:
        if is_over_depth(row.muscle_id, row.depth_mm):
            facts = muscle_facts(row.muscle_id)
            state = "acknowledged" if row.depth_acknowledged else "needs acknowledgement"
            alerts.append(
                {
                    "level": "info" if row.depth_acknowledged else "danger",
                    "title": f"{facts['name']}: {row.depth_mm} mm is beyond the guidance "
                    f"({facts['depth_min']}-{facts['depth_max']} mm), {state}",
                    "text": "",
                }
            )
    return sorted(alerts, key=lambda a: SEVERITY[a["level"]])
