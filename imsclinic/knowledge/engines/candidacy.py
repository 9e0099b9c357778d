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
* red flags -> needs_clearance (see a doctor first); new bladder/bowel change -> not_suitable
  with "go to an emergency department".
* pain for less than the typical duration (3 months) -> needs_clearance with the wording
  "a clinician will assess whether needling fits now": IMS is aimed at chronic pain, but recent
  pain is not unsafe to assess, so "not suitable" would be too strong. Unknown duration is
  noted without changing the outcome.

Validation choice: unknown answer fields are reported as errors rather than ignored, because a
misspelt safety answer ("anticoagulant") silently defaulting to "no" would be unsafe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidAnswersError, PolicyError
from ..knowledge_base import KnowledgeBase
from ..loader import load_knowledge
from ..models import OUTCOME_ORDER, AnswerSpec

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
    "number_or_null"), default, question, help, minimum, maximum. Drives the Django form."""
    kb = kb or load_knowledge()
    return [_spec_dict(spec) for spec in kb.screening_answer_specs()]


def answers_json_schema(*, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for the answers object, generated from the answer spec."""
    properties: dict[str, Any] = {}
    for question in screening_questions(kb=kb):
        if question["type"] == "boolean":
            schema: dict[str, Any] = {"type": "boolean"}
        else:
            schema = {"type": "number" if question["type"] == "number" else ["number", "null"]}
            if question["minimum"] is not None:
                schema["minimum"] = question["minimum"]
            if question["maximum"] is not None:
                schema["maximum"] = question["maximum"]
        schema.update(
            title=question["question"], description=question["help"], default=question["default"]
        )
        properties[question["field"]] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def _clean_value(spec: AnswerSpec, value: Any) -> tuple[Any, str | None]:
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value, None
        return None, "must be true or false"
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


def validate_answers(
    answers: Any, *, kb: KnowledgeBase | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check raw answers against the spec. Never raises.

    Returns (clean, errors): clean has every known field (defaults filled in for missing ones);
    errors maps field name to a plain message (wrong type, negative or out-of-range number,
    unknown field). The key "__all__" is used when the answers are not an object at all.
    """
    kb = kb or load_knowledge()
    specs = {spec.field: spec for spec in kb.screening_answer_specs()}
    clean = {name: spec.default for name, spec in specs.items()}
    errors: dict[str, str] = {}
    if not isinstance(answers, Mapping):
        return clean, {"__all__": "answers must be a JSON object of field: value"}
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
    "short_pain_outcome") map to an outcome; a clinic may make any item stricter and may relax
    precautions, but an item whose default is not_suitable (absolute contraindications, the
    urgent red flag) cannot be relaxed. Window keys ("recent_surgery_weeks", "adult_age_years",
    "min_pain_duration_months") map to non-negative numbers.
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
            elif defaults[code] == "not_suitable" and value != "not_suitable":
                errors[name] = "an absolute contraindication cannot be relaxed"
        elif name in windows:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors[name] = "must be a non-negative number"
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
    policy = dict(policy or {})
    windows = _window_settings(kb)
    windows.update({key: value for key, value in policy.items() if key in windows})
    reasons: list[Reason] = []

    for item in kb.contraindications.values():
        if item.answer is None or item.trigger is None or item.screening_outcome is None:
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

    for flag in kb.screening.red_flags:
        if clean[flag.answer.field] is True:
            outcome = policy.get(flag.id, flag.outcome)
            consequence = "block" if outcome == "not_suitable" else "require_clearance"
            reasons.append(
                Reason(flag.id, flag.message, consequence, flag.advice, outcome, "red_flag")
            )

    duration_reason = _pain_duration_reason(clean, windows, policy)
    if duration_reason is not None:
        reasons.append(duration_reason)

    outcome = max(
        (r.outcome for r in reasons), key=OUTCOME_ORDER.__getitem__, default="likely_candidate"
    )
    ordered = sorted(reasons, key=lambda r: -OUTCOME_ORDER[r.outcome])
    return ScreeningResult(outcome, tuple(ordered))


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
