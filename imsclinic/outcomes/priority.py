"""The maintained course-priority columns the Today panel reads (CourseOfCare.priority and
friends), kept current whenever a course's chart changes.

`priority` counts the course-rule flags that depend only on the records: "no meaningful change"
and "reassessment due" (evaluate_course, the one definition of the rules). The dropout flag depends
on the clock, so the Today query derives it from `last_signed_session_at` when it runs.

Kept current by:
- every audited write about a patient that can change a course, its signed sessions or its
  questionnaire responses (`core.signals.chart_written`, sent by audit.record; PRIORITY_ACTIONS):
  the sign actions update `signed_at` with a queryset update, which sends no model signal.
  Billing, scheduling and the other front-desk writes change none of it and skip the refresh;
- saves of sessions, questionnaire responses and courses (model signals), for writes that are not
  actions (imports, fixtures);
- a change of the clinic's rules or instruments (all its active courses);
- `imsclinic analytics rebuild` for data written in bulk (the demo and benchmark generators).
"""

import datetime

from django.db.models import Count, Max

from imsclinic.outcomes.course import _series, evaluate_course
from imsclinic.outcomes.instruments import instrument_lookup
from imsclinic.outcomes.policy import course_rules

BATCH = 2000
# The audited actions whose writes can change what the priority is computed from (a course, its
# signed sessions, its questionnaire responses); record() names the action (audit/services.py).
PRIORITY_ACTIONS = (
    "session.",
    "course.",
    "assessment.",
    "outcome.",
    "portal.questionnaire",
    "patient.merge",
    "fhir.import",
    "demo.",
)


def refresh_course_priorities(courses) -> int:
    """Recompute the priority columns of `courses` (a CourseOfCare queryset); returns how many
    changed. A fixed number of queries per batch of courses."""
    from imsclinic.clinical.models import CourseOfCare, TreatmentSession
    from imsclinic.outcomes.models import QuestionnaireResponse

    changed = 0
    ids = list(courses.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(
            CourseOfCare.objects.filter(pk__in=ids[start : start + BATCH]).select_related("clinic")
        )
        pks = [c.pk for c in batch]
        stats = {
            row["course"]: row
            for row in TreatmentSession.objects.filter(course_id__in=pks, signed_at__isnull=False)
            .order_by()
            .values("course")
            .annotate(n=Count("id"), last=Max("started_at"))
        }
        responses: dict[int, list] = {}
        for r in QuestionnaireResponse.objects.filter(course_id__in=pks).chronological():
            responses.setdefault(r.course_id, []).append(r)
        per_clinic: dict[int, tuple] = {}
        dirty = []
        for course in batch:
            if course.clinic_id not in per_clinic:
                per_clinic[course.clinic_id] = (
                    instrument_lookup(course.clinic),
                    course_rules(course.clinic),
                )
            instruments, rules = per_clinic[course.clinic_id]
            row = stats.get(course.pk, {"n": 0, "last": None})
            flags = evaluate_course(
                course=course,
                sessions_done=row["n"],
                last_session_at=row["last"],
                series=_series(responses.get(course.pk, []), instruments),
                rules=rules,
                now=row["last"] or _start_of(course),
                has_upcoming=True,  # dropout is the clock's business, decided at read time
            )
            values = (row["n"], row["last"], len([f for f in flags if f.kind != "dropout"]))
            current = (course.signed_session_count, course.last_signed_session_at, course.priority)
            if values != current:
                (
                    course.signed_session_count,
                    course.last_signed_session_at,
                    course.priority,
                ) = values
                dirty.append(course)
        _write_priorities(dirty)
        changed += len(dirty)
    return changed


PRIORITY_COLUMNS = ("signed_session_count", "last_signed_session_at", "priority")


def _write_priorities(courses) -> None:
    """One prepared UPDATE run for every changed course. Django's bulk_update builds a CASE WHEN
    per row and column: 8.5 s of the benchmark generator's 42 s at a twentieth of network size.
    Like bulk_update, it sends no model signal."""
    from django.db import connection

    from imsclinic.clinical.models import CourseOfCare

    if not courses:
        return
    meta, quote = CourseOfCare._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in PRIORITY_COLUMNS]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names from the model
    rows = [
        [field.get_db_prep_value(getattr(course, field.attname), connection) for field in fields]
        + [course.pk]
        for course in courses
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _start_of(course):
    return datetime.datetime.combine(course.started_on, datetime.time(12), tzinfo=course.clinic.tz)


def refresh_for_patient(patient_id: int) -> None:
    from imsclinic.clinical.models import CourseOfCare

    refresh_course_priorities(CourseOfCare.objects.filter(patient_id=patient_id))


def refresh_for_clinic(clinic_id: int) -> None:
    from imsclinic.clinical.models import CourseOfCare

    refresh_course_priorities(CourseOfCare.objects.filter(clinic_id=clinic_id, status="active"))
