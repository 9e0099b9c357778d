"""The clinic's view of the knowledge base's candidacy engine.

The rules themselves live in imsclinic.knowledge (never duplicated here). This module only adds
the clinic's policy: `clinic.policies["screening"]` is a flat dict understood by
knowledge.validate_policy, e.g. {"pregnancy": "not_suitable"} or {"recent_surgery_weeks": 12}.
A key the engine rejects is skipped (and logged) rather than breaking the public form; the engine
itself refuses to relax an absolute contraindication, so skipping can never make a result laxer
than the knowledge base's defaults.
"""

import logging

from imsclinic.knowledge import load_knowledge, screen, screening_questions, validate_policy

logger = logging.getLogger(__name__)


def clinic_policy(clinic) -> dict:
    raw = clinic.policy("screening", {}) if clinic is not None else {}
    if not isinstance(raw, dict):
        logger.warning("Clinic %s has a screening policy that is not an object", clinic.slug)
        return {}
    policy = {}
    for key, value in raw.items():
        if validate_policy({key: value}):
            logger.warning("Clinic %s: ignoring screening policy %r", clinic.slug, key)
            continue
        policy[key] = value
    return policy


def screen_for_clinic(answers: dict, clinic):
    """knowledge.screen(answers, policy) with the clinic's policy. Raises InvalidAnswersError."""
    return screen(answers, clinic_policy(clinic))


def question_groups() -> list[tuple[str, str, list[dict]]]:
    """Screening questions grouped for the form: (key, plain heading, questions).

    Groups come from the knowledge base (absolute contraindications, precautions, red flags), so
    a question added there appears here without a code change.
    """
    kb = load_knowledge()
    kind_by_field = {
        item.answer.field: item.kind for item in kb.contraindications.values() if item.answer
    }
    red_flag_fields = {flag.answer.field for flag in kb.screening.red_flags}
    groups = {
        "pain": ("About your pain", []),
        "needles": ("Needles and consent", []),
        "health": ("Your health", []),
        "warning": ("Warning signs", []),
    }
    for question in screening_questions():
        field = question["field"]
        if field == "pain_duration_months":
            groups["pain"][1].append(question)
        elif field in red_flag_fields:
            groups["warning"][1].append(question)
        elif kind_by_field.get(field) == "absolute":
            groups["needles"][1].append(question)
        else:
            groups["health"][1].append(question)
    return [(key, heading, questions) for key, (heading, questions) in groups.items()]


def body_area_choices() -> list[tuple[str, str]]:
    """Side-neutral body areas from the knowledge base, front view first."""
    areas = load_knowledge().body_areas.values()
    return [(a.id, a.label) for a in sorted(areas, key=lambda a: a.view != "front")]


def area_labels(ids) -> list[str]:
    areas = load_knowledge().body_areas
    return [areas[i].label if i in areas else i for i in ids]
