"""Candidacy screening for the public "Am I a candidate?" form, the API and the CLI.

Outcomes, from best to worst: likely_candidate < needs_clearance < not_suitable. The result is
the worst outcome of any triggered item:

* absolute contraindications (needle phobia, unwilling, unable to consent, emergency,
  lymphoedema or infection at the pain site) -> not_suitable, always. A clinic policy cannot
  relax them, so an absolute contraindication is never likely_candidate.
* precautions that need a professional's go-ahead (anticoagulants, bleeding disorder,
  pregnancy, immunocompromise, HIV/hepatitis, recent surgery, age under 18) -> needs_clearance,
  with what to bring.
* precautions the clinician just needs to know about (diabetes, epilepsy, ...) are reported as
  reasons but leave the outcome at likely_candidate.
* red flags -> needs_clearance (see a doctor first); new bladder/bowel change and symptoms of
  cervical arterial dysfunction -> not_suitable with "go to an emergency department".
* lymphoedema in the painful area is absolute; lymphoedema recorded by limb away from the pain
  is a reason (that limb is never needled) that leaves the outcome alone.
* pain for less than the typical duration (3 months) -> needs_clearance with the wording
  "a clinician will assess whether needling fits now": IMS is aimed at chronic pain, but recent
  pain is not unsafe to assess, so "not suitable" would be too strong. Unknown duration is
  noted without changing the outcome.

Validation: every answer field must be present and unknown fields are errors. A missing safety
answer, or a misspelt one ("anticoagulant"), silently read as "no" would turn an unknown into
"likely candidate", so `screen` refuses it (InvalidAnswersError) in the engine, the CLI, the API
and the public form alike. A clinic policy may only make an outcome stricter (never laxer), so red
flags, bleeding disorders and absolute contraindications can never become "likely candidate".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidAnswersError, PolicyError
from ..knowledge_base import KnowledgeBase
from ..loader import load_knowledge
from ..models import LIMB_LOCATIONS, OUTCOME_ORDER, AnswerSpec

OUTCOMES = tuple(OUTCOME_ORDER)
PAIN_DURATION_SETTING = "min_pain_duration_months"
SHORT_PAIN_SETTING = "short_pain_outcome"


@dataclass(frozen=True)
class Reason:
    """Why an outcome was reached: plain-language message and advice for the person screened."""

    code: str
    message: str
    consequence: str
    advice: str
    outcome: str
    kind: str  # "absolute", "relative", "red_flag" or "pain_duration"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return vars(self).copy()


@dataclass(frozen=True)
class ScreeningResult:
    """Outcome (likely_candidate, needs_clearance or not_suitable) and the reasons, worst first."""

    outcome: str
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"outcome": ..., "reasons": [...]}."""
        return {"outcome": self.outcome, "reasons": [r.to_dict() for r in self.reasons]}


def _spec_dict(spec: AnswerSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def screening_questions(*, kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """The answer spec as data: one dict per field with field, type ("boolean", "number",
    "number_or_null", "choices"), default (the all-clear value), question, help, minimum,
    maximum and choices. Drives the Django form."""
    kb = kb or load_knowledge()
    return [_spec_dict(spec) for spec in kb.screening_answer_specs()]


def answers_json_schema(*, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for the answers object, generated from the answer spec."""
    properties: dict[str, Any] = {}
    for question in screening_questions(kb=kb):
        if question["type"] == "boolean":
            schema: dict[str, Any] = {"type": "boolean"}
        elif question["type"] == "choices":
            schema = {
                "type": "array",
                "items": {"enum": list(question["choices"])},
                "uniqueItems": True,
            }
        else:
            schema = {"type": "number" if question["type"] == "number" else ["number", "null"]}
            if question["minimum"] is not None:
                schema["minimum"] = question["minimum"]
            if question["maximum"] is not None:
                schema["maximum"] = question["maximum"]
        schema.update(title=question["question"], description=question["help"])
        properties[question["field"]] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _clean_value(spec: AnswerSpec, value: Any) -> tuple[Any, str | None]:
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value, None
        return None, "must be true or false"
    if spec.type == "choices":
        options = spec.choices or {}
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of choices"
        unknown = [v for v in value if v not in options]
        if unknown:
            return None, f"unknown choice {unknown[0]!r}; choose from {', '.join(options)}"
        if len(set(value)) != len(value):
            return None, "lists a choice twice"
        return sorted(value, key=list(options).index), None
    if value is None:
        if spec.type == "number_or_null":
            return None, None
        return None, "is required"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "must be a number"
    if not math.isfinite(value):
        return None, "must be a finite number"
    if spec.minimum is not None and value < spec.minimum:
        return None, f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"must be at most {spec.maximum:g}"
    return value, None


MISSING_ANSWER = "must be answered"


def validate_answers(
    answers: Any, *, kb: KnowledgeBase | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check raw answers against the spec. Never raises.

    Returns (clean, errors): clean has every valid answer given; errors maps field name to a
    plain message: "must be answered" for a missing field (no answer is ever assumed), a wrong
    type, a negative or out-of-range number, or an unknown field. The key "__all__" is used
    when the answers are not an object at all. Answers are complete when errors is empty.
    """
    kb = kb or load_knowledge()
    specs = {spec.field: spec for spec in kb.screening_answer_specs()}
    clean: dict[str, Any] = {}
    if not isinstance(answers, Mapping):
        return clean, {"__all__": "answers must be a JSON object of field: value"}
    errors: dict[str, str] = {name: MISSING_ANSWER for name in specs if name not in answers}
    for key, value in answers.items():
        name = str(key)
        spec = specs.get(name)
        if spec is None:
            errors[name] = "unknown field"
            continue
        cleaned, problem = _clean_value(spec, value)
        if problem:
            errors[name] = problem
        else:
            clean[name] = cleaned
    return clean, errors


def clear_answers(
    overrides: Mapping[str, Any] | None = None, *, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """A complete answer set with every question at its all-clear value, then `overrides`.

    For demo data, benchmarks and tests that build answers on purpose. Never use it to fill in
    a real person's missing answers: those must stay errors.
    """
    kb = kb or load_knowledge()
    answers: dict[str, Any] = {}
    for spec in kb.screening_answer_specs():
        answers[spec.field] = list(spec.default) if isinstance(spec.default, list) else spec.default
    unknown = set(overrides or {}) - set(answers)
    if unknown:
        raise ValueError(f"unknown answer fields: {', '.join(sorted(unknown))}")
    answers.update(overrides or {})
    return answers


def _default_outcomes(kb: KnowledgeBase) -> dict[str, str]:
    outcomes = {
        item.id: item.screening_outcome
        for item in kb.contraindications.values()
        if item.screening_outcome is not None
    }
    outcomes.update({flag.id: flag.outcome for flag in kb.screening.red_flags})
    outcomes["pain_under_typical_duration"] = "needs_clearance"
    return outcomes


def _window_settings(kb: KnowledgeBase) -> dict[str, float]:
    windows = {
        item.window_setting: float(item.window_default)
        for item in kb.contraindications.values()
        if item.window_setting is not None and item.window_default is not None
    }
    windows[PAIN_DURATION_SETTING] = float(kb.screening.typical_min_pain_duration_months)
    return windows


def validate_policy(policy: Any, *, kb: KnowledgeBase | None = None) -> dict[str, str]:
    """Errors in a clinic screening policy ({} when valid).

    A policy is a flat dict. Keys that are contraindication or red-flag ids (and
    "short_pain_outcome") map to an outcome at least as strict as the knowledge base's default:
    a clinic may make an outcome stricter, never laxer, so a red flag, a bleeding disorder or an
    absolute contraindication can never become likely_candidate. Window keys
    ("recent_surgery_weeks", "adult_age_years", "min_pain_duration_months") map to numbers at
    least as large as the default, because a shorter window lets more people through.
    """
    kb = kb or load_knowledge()
    if policy is None:
        return {}
    if not isinstance(policy, Mapping):
        return {"__all__": "policy must be an object"}
    defaults = _default_outcomes(kb)
    windows = _window_settings(kb)
    errors: dict[str, str] = {}
    for key, value in policy.items():
        name = str(key)
        code = "pain_under_typical_duration" if name == SHORT_PAIN_SETTING else name
        if code in defaults:
            if value not in OUTCOME_ORDER:
                errors[name] = f"must be one of {', '.join(OUTCOMES)}"
            elif OUTCOME_ORDER[value] < OUTCOME_ORDER[defaults[code]]:
                errors[name] = (
                    f"a clinic policy may only make this stricter than {defaults[code]}, "
                    "never laxer"
                )
        elif name in windows:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                errors[name] = "must be a number"
            elif value < windows[name]:
                errors[name] = (
                    f"must be at least {windows[name]:g}: a shorter window would be laxer "
                    "than the default"
                )
        else:
            errors[name] = "unknown policy key"
    return errors


def screen(
    answers: Mapping[str, Any],
    policy: Mapping[str, Any] | None = None,
    *,
    kb: KnowledgeBase | None = None,
) -> ScreeningResult:
    """Screen answers from the public form and return ScreeningResult(outcome, reasons).

    Raises InvalidAnswersError (with .errors per field) for malformed answers and PolicyError
    for a malformed policy. Reasons are ordered worst outcome first, then form order.
    """
    kb = kb or load_knowledge()
    clean, errors = validate_answers(answers, kb=kb)
    if errors:
        raise InvalidAnswersError(errors)
    policy_errors = validate_policy(policy, kb=kb)
    if policy_errors:
        raise PolicyError(policy_errors)
    reasons = _reasons(kb, clean, dict(policy or {}))
    outcome = max(
        (r.outcome for r in reasons), key=OUTCOME_ORDER.__getitem__, default="likely_candidate"
    )
    ordered = sorted(reasons, key=lambda r: -OUTCOME_ORDER[r.outcome])
    return ScreeningResult(outcome, tuple(ordered))


def triggered_reasons(
    answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None
) -> tuple[Reason, ...]:
    """The reasons triggered by the answers that were given, with no outcome.

    For answers already stored on a chart, where a question added to the form later was simply
    never asked: every answered item still counts (a stored "takes blood thinners" is never
    dropped because a newer question is missing). It decides nothing about candidacy, so an
    unanswered question can never read as "likely candidate"; use `screen` for that. Raises
    InvalidAnswersError for malformed or unknown answers.
    """
    kb = kb or load_knowledge()
    clean, errors = validate_answers(answers, kb=kb)
    errors = {field: message for field, message in errors.items() if message != MISSING_ANSWER}
    if errors:
        raise InvalidAnswersError(errors)
    return tuple(_reasons(kb, clean, {}))


def located_precautions(
    answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None
) -> list[dict[str, Any]]:
    """Precautions with their place, for the plan engine: one `lymphoedema` precaution per limb
    ticked on the form, e.g. {"id": "lymphoedema", "limb": "upper", "side": "R"}, so that limb
    is never in a plan. Unanswered or malformed limb answers give none (`screen` refuses them)."""
    kb = kb or load_knowledge()
    limbs = kb.screening.lymphoedema_limbs
    clean, errors = validate_answers(
        {limbs.answer.field: answers.get(limbs.answer.field, [])}, kb=kb
    )
    if limbs.answer.field in errors:
        return []
    return [
        {"id": limbs.precaution, "limb": LIMB_LOCATIONS[v][0], "side": LIMB_LOCATIONS[v][1]}
        for v in clean[limbs.answer.field]
    ]


def _reasons(kb: KnowledgeBase, clean: Mapping[str, Any], policy: dict[str, Any]) -> list[Reason]:
    """Reasons for every answered item in `clean` (unanswered items are skipped)."""
    windows = _window_settings(kb)
    windows.update({key: value for key, value in policy.items() if key in windows})
    reasons: list[Reason] = []

    for item in kb.contraindications.values():
        if item.answer is None or item.trigger is None or item.screening_outcome is None:
            continue
        if item.answer.field not in clean:
            continue
        value = clean[item.answer.field]
        if item.trigger.below_window:
            assert item.window_setting is not None  # noqa: S101 - model invariant
            triggered = value is not None and value < windows[item.window_setting]
        else:
            triggered = value is item.trigger.equals
        if triggered:
            outcome = policy.get(item.id, item.screening_outcome)
            reasons.append(
                Reason(item.id, item.message, item.consequence, item.advice, outcome, item.kind)
            )

    limbs = kb.screening.lymphoedema_limbs
    if clean.get(limbs.answer.field):
        labels = limbs.answer.choices or {}
        ticked = ", ".join(labels[v].lower() for v in clean[limbs.answer.field])
        reasons.append(
            Reason(
                "lymphoedema_elsewhere",
                f"{limbs.message} Recorded: {ticked}.",
                "restrict_region",
                limbs.advice,
                "likely_candidate",
                "located_precaution",
            )
        )

    for flag in kb.screening.red_flags:
        if clean.get(flag.answer.field) is True:
            outcome = policy.get(flag.id, flag.outcome)
            consequence = "block" if outcome == "not_suitable" else "require_clearance"
            reasons.append(
                Reason(flag.id, flag.message, consequence, flag.advice, outcome, "red_flag")
            )

    if "pain_duration_months" in clean:
        duration_reason = _pain_duration_reason(clean, windows, policy)
        if duration_reason is not None:
            reasons.append(duration_reason)
    return reasons


def _pain_duration_reason(
    clean: Mapping[str, Any], windows: Mapping[str, float], policy: Mapping[str, Any]
) -> Reason | None:
    months = clean["pain_duration_months"]
    minimum = windows[PAIN_DURATION_SETTING]
    if months is None:
        return Reason(
            "pain_duration_unknown",
            "We don't know how long you have had the pain; the clinician will ask at assessment.",
            "warn",
            "Think about when the pain started before your visit.",
            "likely_candidate",
            "pain_duration",
        )
    if months >= minimum:
        return None
    return Reason(
        "pain_under_typical_duration",
        f"IMS is usually offered for pain that has lasted about {minimum:g} months or more. "
        "Recent pain often settles with time or simpler care; a clinician can assess whether "
        "needling would help now.",
        "warn",
        "Book an assessment rather than a course of IMS, and bring notes on what you have tried.",
        policy.get(SHORT_PAIN_SETTING, "needs_clearance"),
        "pain_duration",
    )
