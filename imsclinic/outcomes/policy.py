"""Clinic-configurable outcome schedule and course rules, with the documented defaults.

A clinic overrides any key in `clinic.policies["course_rules"]`; a missing or invalid key means
the default below (docs/outcomes.md lists them with their reasons). Nothing here is a clinical
fact: the "review by session 4" rule is the seed clinics' own promise, not a published rule, so
it is policy a clinic can change.
"""

from dataclasses import dataclass

DEFAULT_COURSE_RULES = {
    # Questionnaires given at intake, every N sessions and at discharge.
    "instruments": ["nprs", "psfs"],
    # Transition questions asked at the review point and at discharge.
    "review_instruments": ["pgic", "groc"],
    # Interim measures after every N signed sessions (2 -> after sessions 2, 4, 6 ...).
    "every_n_sessions": 2,
    # Flag a course whose scores show no meaningful (>= MCID) improvement by this session.
    "no_change_session": 4,
    # Flag a dropout: no session for this many weeks and nothing booked.
    "dropout_weeks": 3,
}


@dataclass(frozen=True)
class CourseRules:
    instruments: tuple[str, ...]
    review_instruments: tuple[str, ...]
    every_n_sessions: int
    no_change_session: int
    dropout_weeks: int


def _int(value, default: int, low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return default


def _ids(value, default) -> tuple[str, ...]:
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return tuple(default)


def course_rules(clinic) -> CourseRules:
    """The clinic's course rules, defaults filled in for missing or invalid keys."""
    raw = clinic.policy("course_rules", {}) if clinic is not None else {}
    raw = raw if isinstance(raw, dict) else {}
    d = DEFAULT_COURSE_RULES
    return CourseRules(
        instruments=_ids(raw.get("instruments"), d["instruments"]),
        review_instruments=_ids(raw.get("review_instruments"), d["review_instruments"]),
        every_n_sessions=_int(raw.get("every_n_sessions"), d["every_n_sessions"], 1, 52),
        no_change_session=_int(raw.get("no_change_session"), d["no_change_session"], 1, 52),
        dropout_weeks=_int(raw.get("dropout_weeks"), d["dropout_weeks"], 1, 52),
    )
