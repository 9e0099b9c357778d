"""Procedure: one per needled muscle of a session, with bodySite and laterality (§6.4)."""

from imsclinic.interop.fhir.common import (
    CS_MUSCLE,
    CS_PROCEDURE,
    EXT_LATERALITY,
    EXT_NEEDLING,
    LATERALITY,
    SNOMED,
    UCUM,
    build,
    coding,
    instant,
    muscle_name,
    ref,
)
from imsclinic.interop.fhir.device import device_id, needle_key, session_needle_keys

NEEDLING = coding(CS_PROCEDURE, "ims-needling", "Intramuscular stimulation / dry needling")
SIDE_WORDS = {"L": "Left", "R": "Right", "B": "Both sides:"}


def body_site(muscle_id: str, side: str, level: str = "") -> dict:
    """The muscle (project code system: no verified SNOMED body structures, §6.1) with a SNOMED
    laterality qualifier in an extension."""
    name = muscle_name(muscle_id)
    site = {
        "coding": [coding(CS_MUSCLE, muscle_id, name)],
        "text": " ".join(filter(None, [SIDE_WORDS.get(side, ""), name, level])).strip(),
    }
    if side in LATERALITY:
        code, display = LATERALITY[side]
        site["extension"] = [
            {
                "url": EXT_LATERALITY,
                "valueCodeableConcept": {"coding": [coding(SNOMED, code, display)]},
            }
        ]
    return site


def _detail(row) -> dict:
    parts = [
        {
            "url": "depth",
            "valueQuantity": {
                "value": float(row.depth_mm),
                "unit": "mm",
                "system": UCUM,
                "code": "mm",
            },
        },
        {"url": "insertions", "valueInteger": row.insertions},
        {"url": "response", "valueCode": row.response},
        {"url": "tolerance", "valueCode": row.tolerance},
    ]
    if row.paraspinal_level:
        parts.append({"url": "paraspinalLevel", "valueString": row.paraspinal_level})
    return {"url": EXT_NEEDLING, "extension": parts}


def session_procedures(session, rows=None, condition_refs=None) -> list:
    """Procedures for a session's needling rows, in the order they were charted."""
    rows = list(rows if rows is not None else session.needling_rows.all())
    keys = session_needle_keys(rows)
    status = "completed" if session.signed_at else "in-progress"
    result = []
    for index, row in enumerate(rows):
        key = needle_key(row)
        used = [ref("Device", device_id(session, keys.index(key)))] if key in keys else []
        note = (
            f"Depth {row.depth_mm:g} mm, {row.insertions} insertion(s), response "
            f"{row.get_response_display().lower()}, tolerance {row.get_tolerance_display().lower()}"
        )
        result.append(
            build(
                "Procedure",
                {
                    "id": f"{session.uuid}-p{index}",
                    "extension": [_detail(row)],
                    "status": status,
                    "category": {"text": "Physiotherapy needling"},
                    "code": {"coding": [NEEDLING], "text": "IMS / dry needling"},
                    "subject": ref("Patient", session.patient.uuid),
                    "encounter": ref("Encounter", session.uuid),
                    "performedDateTime": instant(session.started_at),
                    "performer": [
                        {
                            "actor": ref(
                                "Practitioner",
                                session.practitioner.uuid,
                                session.practitioner.display_name,
                            ),
                            "onBehalfOf": ref("Organization", session.clinic.uuid),
                        }
                    ],
                    "reasonReference": condition_refs or [],
                    "bodySite": [body_site(row.muscle_id, row.side, row.paraspinal_level)],
                    "usedReference": used,
                    "note": [{"text": note}],
                },
            )
        )
    return result
