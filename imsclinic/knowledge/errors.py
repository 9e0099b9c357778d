"""Exceptions raised by the knowledge base and its engines."""

from __future__ import annotations


class KnowledgeDataError(ValueError):
    """A data file is broken. The message names the file, the row (id or index) and the field."""

    def __init__(self, file: str, row: str | None, field: str | None, problem: str) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.problem = problem
        where = file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field}"
        super().__init__(f"{where}: {problem}")


class MuscleLookupError(LookupError):
    """A muscle name could not be resolved to exactly one muscle."""

    def __init__(self, query: str, candidates: list[str], message: str) -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(message)


class UnknownMuscleError(MuscleLookupError):
    """No muscle matches the name; `candidates` holds close matches (difflib)."""


class AmbiguousMuscleError(MuscleLookupError):
    """Several muscles match the name; `candidates` holds their ids."""


class InvalidAnswersError(ValueError):
    """Screening answers failed validation; `errors` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        detail = "; ".join(f"{field}: {message}" for field, message in sorted(errors.items()))
        super().__init__(f"invalid screening answers: {detail}")


class PolicyError(ValueError):
    """A clinic screening policy is malformed or tries to relax an absolute contraindication."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        detail = "; ".join(f"{key}: {message}" for key, message in sorted(errors.items()))
        super().__init__(f"invalid screening policy: {detail}")
