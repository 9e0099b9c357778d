"""Reports use the same courses as the outcomes tests: one definition, shared."""

from tests.outcomes.conftest import flat_course, improving_course  # noqa: F401
