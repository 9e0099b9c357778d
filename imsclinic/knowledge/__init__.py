"""Clinical knowledge base and reasoning engines (pure Python: no Django imports).

Data lives in reviewable YAML under data/ and is validated on load. Public API:

    load_knowledge() -> KnowledgeBase                       (cached)
    find_muscle(query) -> Muscle
    infer_segments(findings) -> SegmentInference
    suggest_plan(targets, precautions) -> Plan
    screen(answers, policy=None) -> ScreeningResult
    screening_questions() / answers_json_schema() / validate_answers(answers)
    clear_answers(overrides) -> complete all-clear answers (demo data and tests only)
    score_instrument(instrument, responses) -> Score
    is_meaningful_change(instrument, baseline, current) -> bool
    instrument_from_fhir_questionnaire(questionnaire, scoring) -> Instrument
    run_segments_cli(argv, stdout, stderr) / run_screen_cli(argv, stdout, stderr) -> int
"""

from .cli import run_screen_cli, run_segments_cli
from .engines.candidacy import (
    Reason,
    ScreeningResult,
    answers_json_schema,
    clear_answers,
    located_precautions,
    screen,
    screening_questions,
    triggered_reasons,
    validate_answers,
    validate_policy,
)
from .engines.plan import Plan, PlanItem, Precaution, suggest_plan
from .engines.scoring import Score, change_category, is_meaningful_change, score_instrument
from .engines.segments import (
    LevelGroup,
    MuscleFinding,
    SegmentInference,
    SegmentScore,
    SignFinding,
    infer_segments,
)
from .errors import (
    AmbiguousMuscleError,
    InvalidAnswersError,
    KnowledgeDataError,
    MuscleLookupError,
    PolicyError,
    UnknownMuscleError,
)
from .fhir_questionnaire import instrument_from_fhir_questionnaire
from .knowledge_base import KnowledgeBase
from .loader import load_knowledge
from .models import Instrument, Muscle
from .validation import KNOWLEDGE_ID_KINDS, is_known_id, known_ids


def find_muscle(query: str) -> Muscle:
    """Resolve a muscle id, name or synonym (case-insensitive) using the packaged knowledge.

    Raises AmbiguousMuscleError or UnknownMuscleError (both MuscleLookupError) with
    `.candidates` listing close matches.
    """
    return load_knowledge().find_muscle(query)


__all__ = [
    "AmbiguousMuscleError",
    "Instrument",
    "InvalidAnswersError",
    "KnowledgeBase",
    "KnowledgeDataError",
    "LevelGroup",
    "Muscle",
    "MuscleFinding",
    "MuscleLookupError",
    "Plan",
    "PlanItem",
    "PolicyError",
    "Precaution",
    "Reason",
    "Score",
    "ScreeningResult",
    "SegmentInference",
    "SegmentScore",
    "SignFinding",
    "UnknownMuscleError",
    "answers_json_schema",
    "change_category",
    "clear_answers",
    "find_muscle",
    "infer_segments",
    "is_known_id",
    "known_ids",
    "KNOWLEDGE_ID_KINDS",
    "instrument_from_fhir_questionnaire",
    "is_meaningful_change",
    "load_knowledge",
    "located_precautions",
    "run_screen_cli",
    "run_segments_cli",
    "score_instrument",
    "screen",
    "screening_questions",
    "suggest_plan",
    "triggered_reasons",
    "validate_answers",
    "validate_policy",
]
