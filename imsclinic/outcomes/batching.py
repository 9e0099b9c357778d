"""One refresh per course for a run of writes to it.

Every saved course, signed session and questionnaire response refreshes its course's outcome rows
(course_outcomes) and priority columns (priority) at once, so a chart is never read stale. A
builder that writes many records of one course in a row (ten sessions and their scores) paid
that refresh once per record. Inside `one_refresh_per_course()` the hooks only note the course;
each noted course is refreshed once when the block ends without an error, in the transaction the
block runs in. Reads inside the block see the rows as they were before it.
"""

import contextlib
import contextvars

_noted: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "outcomes_courses_to_refresh", default=None
)


def note(course_id: int) -> bool:
    """Inside a block: note `course_id` for its end and say so (the hook then does nothing)."""
    noted = _noted.get()
    if noted is None:
        return False
    noted.add(course_id)
    return True


@contextlib.contextmanager
def one_refresh_per_course():
    if _noted.get() is not None:  # nested: the outermost block refreshes
        yield
        return
    noted: set[int] = set()
    token = _noted.set(noted)
    try:
        yield
    finally:
        _noted.reset(token)
    if noted:
        from imsclinic.clinical.models import CourseOfCare
        from imsclinic.outcomes.course_outcomes import refresh_courses
        from imsclinic.outcomes.priority import refresh_course_priorities

        refresh_course_priorities(CourseOfCare.objects.filter(pk__in=noted))
        refresh_courses(CourseOfCare.objects.filter(pk__in=noted))
