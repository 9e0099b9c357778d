"""Which questionnaires a course is due for, from the clinic's schedule (policy.py).

Default schedule (docs/outcomes.md): the course instruments (NPRS, PSFS) at intake, again after
every 2 signed sessions, and at discharge; PGIC and GROC at the course's review point (its
`review_at_session`, 4 by default) and at discharge.
"""

from dataclasses import dataclass

from imsclinic.outcomes.models import QuestionnaireResponse, Timepoint
from imsclinic.outcomes.policy import CourseRules, course_rules


@dataclass(frozen=True)
class Due:
    instrument_id: str
    timepoint: str
    reason: str


def due_for_course(
    course, *, sessions_done: int, responses: list[tuple[str, str, int]], rules: CourseRules
) -> list[Due]:
    """Questionnaires due now. `responses`: (instrument_id, timepoint, session_number) rows."""
    if course.status != "active":
        return []
    due: list[Due] = []
    taken = {(iid, tp) for iid, tp, _n in responses}
    for iid in rules.instruments:
        if (iid, Timepoint.INTAKE) not in taken:
            due.append(Due(iid, Timepoint.INTAKE, "Baseline at the start of the course"))
            continue
        checkpoint = sessions_done // rules.every_n_sessions * rules.every_n_sessions
        if checkpoint >= rules.every_n_sessions:
            since = [n for i, tp, n in responses if i == iid and tp != Timepoint.INTAKE]
            if not any(n >= checkpoint for n in since):
                timepoint = (
                    Timepoint.REVIEW
                    if sessions_done >= course.review_at_session
                    and (iid, Timepoint.REVIEW) not in taken
                    else Timepoint.INTERIM
                )
                due.append(Due(iid, timepoint, f"Every {rules.every_n_sessions} sessions"))
    if sessions_done >= course.review_at_session:
        for iid in rules.review_instruments:
            if (iid, Timepoint.REVIEW) not in taken:
                due.append(
                    Due(iid, Timepoint.REVIEW, f"Review point (session {course.review_at_session})")
                )
    return due


def due_for(course) -> list[Due]:
    """`due_for_course` for one course, loading what it needs (two queries)."""
    rows = list(
        QuestionnaireResponse.objects.filter(course=course).values_list(
            "instrument_id", "timepoint", "session_number"
        )
    )
    sessions_done = course.sessions.filter(signed_at__isnull=False).count()
    return due_for_course(
        course, sessions_done=sessions_done, responses=rows, rules=course_rules(course.clinic)
    )
