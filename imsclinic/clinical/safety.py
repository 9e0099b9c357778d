"""Safety facts shown while charting and the rules that refuse to sign an unsafe record.

Everything clinical comes from the knowledge base (hazards, thorax flags, depth guidance,
contraindications); this module only applies it to a patient's records. The signing rules are
called by the sign actions, so the UI, the API and commands all get the same refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from imsclinic.knowledge import load_knowledge
from imsclinic.knowledge.engines.site_rules import Precaution as SitePrecaution
from imsclinic.knowledge.engines.site_rules import (
    bilateral_thorax_problem,
    depth_ceiling,
    load_limits,
    site_exclusions,
)

SEVERITY = {"danger": 0, "warn": 1, "info": 2}
SIDE_LABELS = {"L": "Left", "R": "Right", "B": "Both"}


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
        "depth_ceiling": depth_ceiling(muscle),
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

    @property
    def kind_label(self) -> str:
        return PRECAUTION_KIND_LABELS[self.kind]

    @property
    def consequence_label(self) -> str:
        return CONSEQUENCE_LABELS[self.consequence]


# What the pages show for the knowledge base's kinds and consequences (never the raw values).
PRECAUTION_KIND_LABELS = {"absolute": "absolute", "relative": "relative"}
CONSEQUENCE_LABELS = {
    "block": "no needling",
    "require_clearance": "needs clearance",
    "warn": "take care",
    "restrict_region": "not in the affected area",
}


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


def stored_precautions(precautions: list[Precaution]) -> list[dict]:
    """The JSON stored on a signed session or assessment (`active_precautions`)."""
    return [{"id": p.id, "regions": list(p.regions), "source": p.source} for p in precautions]


def stored_as_precautions(rows) -> list[Precaution]:
    """Precautions stored on a signed record, as Precaution rows (for the chart)."""
    return _from_stored(rows)


def _from_stored(rows) -> list[Precaution]:
    base = kb()
    found = []
    for row in rows or []:
        item = base.contraindications.get(row.get("id", ""))
        if item is not None:
            found.append(
                Precaution(
                    item.id,
                    item.name,
                    item.kind,
                    item.consequence,
                    item.clinical_action,
                    row.get("source", ""),
                    tuple(row.get("regions") or ()),
                )
            )
    return found


def _assessment_precautions(assessment) -> list[Precaution]:
    if assessment.active_precautions is not None:
        return _from_stored(assessment.active_precautions)
    return screening_precautions(assessment.screening_answers, source="assessment")


def _legacy_session_precautions(patient, previous, assessment) -> list[Precaution]:
    """For sessions signed before precautions were stored: re-read the pre-checks since the
    latest signed assessment, as the chart did then."""
    from imsclinic.clinical.models import TreatmentSession

    found: dict[str, Precaution] = {}
    if assessment is not None:
        for item in _assessment_precautions(assessment):
            found[item.id] = item
    earlier = TreatmentSession.objects.filter(patient=patient, signed_at__lte=previous.signed_at)
    if assessment is not None:
        earlier = earlier.filter(signed_at__gte=assessment.signed_at)
    for signed in earlier.signed().order_by("started_at").only("precheck", "session_number"):
        for item in precheck_precautions(
            signed.precheck, source=f"session {signed.session_number}"
        ):
            found[item.id] = item
    return list(found.values())


def patient_precautions(patient, *, session=None, today_source="today's check") -> list[Precaution]:
    """Precautions on record: those stored on the latest signed record (a session carries
    forward what was in force when it was signed; a later signed assessment starts afresh from
    its screening re-check), plus `session`'s own pre-check. De-duplicated by id (latest wins).
    """
    from imsclinic.clinical.models import Assessment, TreatmentSession

    found: dict[str, Precaution] = {}
    assessment = Assessment.objects.filter(patient=patient).signed().order_by("-signed_at").first()
    previous_sessions = TreatmentSession.objects.filter(patient=patient).signed()
    if session is not None and session.pk:
        previous_sessions = previous_sessions.exclude(pk=session.pk)
    previous = previous_sessions.order_by("-signed_at", "-id").first()
    if previous is not None and (assessment is None or previous.signed_at >= assessment.signed_at):
        if previous.active_precautions is not None:
            carried = _from_stored(previous.active_precautions)
        else:
            carried = _legacy_session_precautions(patient, previous, assessment)
    elif assessment is not None:
        carried = _assessment_precautions(assessment)
    else:
        carried = []
    for item in carried:
        found[item.id] = item
    if session is not None:
        for item in precheck_precautions(session.precheck, source=today_source):
            found[item.id] = item
    return sorted(found.values(), key=lambda p: (not p.blocks, p.kind != "absolute", p.name))


def absolute_problems(precautions: list[Precaution], rows=()) -> list[str]:
    """Refusal reasons for absolute contraindications.

    A `block` item (e.g. medical emergency, unable to consent) refuses outright. A located
    absolute item (lymphoedema, infection at the site) without its area refuses once anything is
    needled, because the practitioner must confirm the area; with its area, the sites it
    excludes are refused by `site_refusals`.
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
        elif rows and not item.regions:
            reasons.append(
                f"Absolute contraindication recorded ({item.source}): {item.name}, without the "
                "affected area. Record where it is in the pre-session check."
            )
    return reasons


def engine_precaution(item: Precaution) -> SitePrecaution:
    return SitePrecaution(item.id, regions=item.regions)


def row_exclusions(row, precautions: list[Precaution]) -> list[tuple[Precaution, object]]:
    """(precaution, SiteExclusion) pairs excluding this row's site (knowledge site rule)."""
    muscle = muscle_or_none(row.muscle_id)
    if muscle is None:
        return []
    by_id = {p.id: p for p in precautions}
    exclusions = site_exclusions(
        kb(), muscle, row.side, [engine_precaution(p) for p in precautions]
    )
    return [(by_id[e.precaution], e) for e in exclusions]


def thorax_ceiling(muscle_id: str):
    muscle = muscle_or_none(muscle_id)
    return depth_ceiling(muscle) if muscle is not None else None


def lamina_policy(clinic) -> bool:
    """The clinic allows thoracic paraspinals on both sides when needled onto the lamina
    (default: no)."""
    return bool(clinic.policy(load_limits().data.bilateral_thorax.policy_key, False))


def bilateral_thorax_reason(session, rows) -> str | None:
    """The hard-stop reason when the thorax is needled on both sides, or None."""
    pairs = [(muscle_or_none(r.muscle_id), r.side) for r in rows]
    return bilateral_thorax_problem(
        kb(),
        [(m, side) for m, side in pairs if m is not None],
        lamina_policy=lamina_policy(session.clinic),
        lamina_recorded=session.lamina_technique,
    )


def precaution_status(session, precautions) -> list[dict]:
    """Each precaution with how it is resolved for this session, for the chart and reports."""
    from imsclinic.clinical.models import PrecautionClearance

    day = session.local_date
    clearances = [
        c
        for c in PrecautionClearance.objects.filter(
            patient_id=session.patient_id, precaution_id__in=[p.id for p in precautions]
        ).select_related("recorded_by")
        if c.covers(day)
    ]
    decisions = list(
        session.precaution_decisions.select_related("recorded_by") if session.pk else []
    )
    status = []
    for item in precautions:
        status.append(
            {
                "precaution": item,
                "clearances": [c for c in clearances if c.precaution_id == item.id],
                "decisions": [
                    {
                        "decision": d,
                        "sites": [
                            f"{muscle_label(s['muscle_id'])} ({SIDE_LABELS.get(s['side'], s['side'])})"
                            for s in d.adapted_sites
                        ],
                    }
                    for d in decisions
                    if d.precaution_id == item.id
                ],
                "needs_resolution": item.kind == "relative",
            }
        )
    return status


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
    bilateral = bilateral_thorax_reason(session, rows)
    if bilateral:
        alerts.append(
            {
                "level": "danger",
                "title": "Thorax needled on both sides in one session",
                "text": bilateral,
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


def precaution_records(patient) -> dict:
    """The patient's precautions on record with every clearance and reasoned decision, for the
    PDF report and exports (newest first)."""
    from imsclinic.clinical.models import PrecautionClearance, PrecautionDecision

    names = {c.id: c.name for c in kb().contraindications.values()}
    clearances = PrecautionClearance.objects.filter(patient=patient).select_related("recorded_by")
    decisions = PrecautionDecision.objects.filter(patient=patient).select_related(
        "recorded_by", "session"
    )
    return {
        "active": patient_precautions(patient),
        "clearances": [
            {"name": names.get(c.precaution_id, c.precaution_id), "record": c} for c in clearances
        ],
        "decisions": [
            {
                "name": names.get(d.precaution_id, d.precaution_id),
                "record": d,
                "sites": [
                    f"{muscle_label(s['muscle_id'])} ({SIDE_LABELS.get(s['side'], s['side'])})"
                    for s in d.adapted_sites
                ],
            }
            for d in decisions.order_by("-recorded_at")
        ],
    }
