"""What a course of care looks like in numbers: sessions, dose, scores and the course rules.

`load_course_data(course)` gathers one course in a handful of queries for the chart tab and the
reports. `evaluate_course(...)` is the pure rule check used for one course and, in bulk, by the
Today panel (`flags_for_clinic`).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Collate
from django.utils import timezone

from imsclinic.knowledge import Instrument, is_meaningful_change
from imsclinic.outcomes.charts import dose_chart, pain_chart, score_chart
from imsclinic.outcomes.instruments import instrument_lookup
from imsclinic.outcomes.models import QuestionnaireResponse, Timepoint
from imsclinic.outcomes.policy import CourseRules, course_rules
from imsclinic.scheduling.booked import NOT_BOOKED
from imsclinic.scheduling.models import Appointment


@dataclass
class SessionPoint:
    number: int
    date: datetime.date
    pain_before: int | None
    pain_after: int | None
    insertions: int
    muscles: int
    segments: int


@dataclass
class ScorePoint:
    total: float
    completed_at: datetime.datetime
    session_number: int
    timepoint: str


@dataclass
class ScoreSeries:
    instrument: Instrument
    points: list[ScorePoint]

    @property
    def baseline(self) -> ScorePoint | None:
        intake = [p for p in self.points if p.timepoint == Timepoint.INTAKE]
        return (intake or self.points or [None])[0]

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None

    @property
    def change(self) -> float | None:
        if len(self.points) < 2 or self.baseline is None:
            return None
        return round(self.latest.total - self.baseline.total, 2)

    @property
    def status(self) -> str:
        """'improved', 'worsened', 'no_important_change', 'no_follow_up' or 'no_mcid'."""
        if self.instrument.mcid is None:
            return "no_mcid"
        if self.change is None:
            return "no_follow_up"
        base, now = self.baseline.total, self.latest.total
        if is_meaningful_change(self.instrument, base, now):
            return "improved"
        if is_meaningful_change(self.instrument, now, base):
            return "worsened"
        return "no_important_change"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


STATUS_LABELS = {
    "improved": "MCID reached",
    "worsened": "worse by the MCID",
    "no_important_change": "below MCID",
    "no_follow_up": "baseline only",
    "no_mcid": "transition rating",
}


@dataclass
class Flag:
    kind: str  # no_change | review_due | dropout
    label: str
    detail: str


@dataclass
class CourseData:
    course: object
    sessions: list[SessionPoint]
    series: list[ScoreSeries]
    segments_treated: list[str]
    adverse_events: list = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def sessions_done(self) -> int:
        return len(self.sessions)

    @property
    def total_insertions(self) -> int:
        return sum(s.insertions for s in self.sessions)


def load_course_data(course, *, now=None) -> CourseData:
    """Sessions (signed only), per-session dose, score series and flags for one course."""
    from imsclinic.clinical.models import AdverseEvent, NeedlingRow

    tz = course.clinic.tz
    rows = (
        course.sessions.filter(signed_at__isnull=False)
        .annotate(
            insertions_total=Sum("needling_rows__insertions"),
            muscle_count=Count("needling_rows__muscle_id", distinct=True),
            segment_count=Count(
                "needling_rows__paraspinal_level",
                distinct=True,
                filter=~Q(needling_rows__paraspinal_level=""),
            ),
        )
        .order_by("session_number")
    )
    sessions = [
        SessionPoint(
            number=s.session_number,
            date=s.started_at.astimezone(tz).date(),
            pain_before=s.pain_before,
            pain_after=s.pain_after,
            insertions=s.insertions_total or 0,
            muscles=s.muscle_count,
            segments=s.segment_count,
        )
        for s in rows
    ]
    levels = (
        NeedlingRow.objects.filter(session__course=course, session__signed_at__isnull=False)
        .exclude(paraspinal_level="")
        .values_list("paraspinal_level", flat=True)
        .distinct()
    )
    segments_treated = sorted(set(levels) | set(course.target_segments or []))
    instruments = instrument_lookup(course.clinic)
    series = _series(
        QuestionnaireResponse.objects.filter(course=course).chronological(), instruments
    )
    events = list(AdverseEvent.objects.filter(session__course=course).select_related("session"))
    data = CourseData(course, sessions, series, segments_treated, events)
    data.flags = evaluate_course(
        course=course,
        sessions_done=len(sessions),
        last_session_at=max((s.started_at for s in rows), default=None),
        series=series,
        rules=course_rules(course.clinic),
        now=now or timezone.now(),
        has_upcoming=_has_upcoming(course.patient_id, now or timezone.now()),
    )
    return data


def _series(responses, instruments: dict[str, Instrument]) -> list[ScoreSeries]:
    by_instrument: dict[str, list[ScorePoint]] = {}
    for r in responses:
        by_instrument.setdefault(r.instrument_id, []).append(
            ScorePoint(r.total, r.completed_at, r.session_number, r.timepoint)
        )
    return [
        ScoreSeries(instruments[iid], points)
        for iid, points in by_instrument.items()
        if iid in instruments
    ]


def _has_upcoming(patient_id: int, now) -> bool:
    """Whether the patient has an appointment still to come, searched in the appointments (one
    course; the Today panel reads the maintained `Patient.latest_booked_start` instead)."""
    return (
        Appointment.objects.filter(patient_id=patient_id, starts_at__gte=now)
        .exclude(status__in=NOT_BOOKED)
        .exists()
    )


def _booked_from(latest_booked_start, now) -> bool:
    """The same question from the maintained column (scheduling/booked.py)."""
    return latest_booked_start is not None and latest_booked_start >= now


def evaluate_course(
    *,
    course,
    sessions_done: int,
    last_session_at,
    series: list[ScoreSeries],
    rules: CourseRules,
    now,
    has_upcoming: bool | None,
) -> list[Flag]:
    """The course rules for one active course (documented in docs/outcomes.md).

    - no_change: at or past `no_change_session` signed sessions, no instrument with an MCID shows
      a meaningful improvement from its baseline (the course is flagged for review).
    - review_due: at or past the course's planned review session, no review questionnaire yet.
    - dropout: no session for `dropout_weeks` weeks and no appointment booked.
    """
    if course.status != "active":
        return []
    flags: list[Flag] = []
    if sessions_done >= rules.no_change_session:
        measured = [s for s in series if s.instrument.mcid is not None]
        if not any(s.status == "improved" for s in measured):
            detail = "; ".join(_describe(s) for s in measured) or "no outcome scores recorded"
            flags.append(
                Flag(
                    "no_change",
                    f"No meaningful change by session {rules.no_change_session}",
                    detail,
                )
            )
    if sessions_done >= course.review_at_session:
        reviewed = any(p.timepoint == Timepoint.REVIEW for s in series for p in s.points)
        if not reviewed:
            flags.append(
                Flag(
                    "review_due",
                    "Reassessment due",
                    f"Planned review at session {course.review_at_session}; "
                    f"{sessions_done} sessions done",
                )
            )
    last = last_session_at or datetime.datetime.combine(
        course.started_on, datetime.time(12), tzinfo=course.clinic.tz
    )
    idle = now - last
    if idle >= datetime.timedelta(weeks=rules.dropout_weeks) and has_upcoming is not True:
        flags.append(
            Flag(
                "dropout",
                "Possible dropout",
                f"No session for {idle.days // 7} weeks and no appointment booked",
            )
        )
    return flags


def _describe(s: ScoreSeries) -> str:
    inst = s.instrument
    if s.change is None:
        return f"{inst.abbreviation}: baseline only"
    return f"{inst.abbreviation} {s.baseline.total:g} → {s.latest.total:g} (MCID {inst.mcid:g})"


def _flag_annotations(courses, *, rules, now, clinic):
    """Annotate `courses` with `flag_count`: the course rules of `evaluate_course`, read from the
    maintained columns (outcomes/priority.py) plus the clock-dependent dropout rule.

    `priority` already counts "no meaningful change" and "reassessment due"; dropout is idle for
    `dropout_weeks` since the last signed session (or noon of the start day) with nothing booked
    from now on (`Patient.latest_booked_start`, maintained by scheduling/booked.py).
    tests/outcomes/test_course_rules.py compares the result with evaluate_course course by course.
    """
    cutoff = now - datetime.timedelta(weeks=rules.dropout_weeks)
    day = cutoff.astimezone(clinic.tz).date()
    if datetime.datetime.combine(day, datetime.time(12), tzinfo=clinic.tz) > cutoff:
        day -= datetime.timedelta(days=1)
    dropout = Q(last_signed_session_at__lte=cutoff) | Q(
        last_signed_session_at__isnull=True, started_on__lte=day
    )
    # Nothing still to come: the maintained latest booked start (scheduling/booked.py) is before
    # now or absent. A column of the joined patient row, so no search of the appointments.
    dropout &= Q(patient__latest_booked_start__lt=now) | Q(
        patient__latest_booked_start__isnull=True
    )
    return courses.annotate(
        flag_count=F("priority")
        + Case(When(dropout, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def _codepoint_order(field: str):
    """Order by `field` as Python compares strings, whatever the database's default collation."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return Collate(field, "C")
    return F(field)  # SQLite compares text byte by byte (UTF-8 keeps code-point order)


FLAGGED_COURSE_FIELDS = (
    "uuid",
    "patient_id",
    "clinic_id",
    "practitioner_id",
    "status",
    "review_at_session",
    "started_on",
    "signed_session_count",
    "last_signed_session_at",
    "priority",
    "patient__uuid",
    "patient__given_name",
    "patient__preferred_name",
    "patient__family_name",
    "patient__latest_booked_start",
    "clinic__time_zone",
    "clinic__policies",
)


def flags_for_clinic(clinic, *, now=None, practitioner=None, limit: int = 50) -> list[dict]:
    """Flagged active courses of a clinic, in a fixed number of queries (no per-course queries).

    Returns [{"course": CourseOfCare, "flags": [Flag, ...]}], most flags first, at most `limit`.
    The database evaluates the course rules for every active course and returns only the first
    `limit` flagged ones, so the work in Python does not grow with the clinic.
    """
    from imsclinic.clinical.models import CourseOfCare

    now = now or timezone.now()
    instruments = instrument_lookup(clinic)
    rules = course_rules(clinic)
    courses = CourseOfCare.objects.filter(clinic=clinic, status=CourseOfCare.Status.ACTIVE)
    if practitioner is not None:
        courses = courses.filter(practitioner=practitioner)
    courses = list(
        _flag_annotations(courses, rules=rules, now=now, clinic=clinic)
        .filter(flag_count__gt=0)
        .select_related("patient", "clinic")
        # Only what the panel shows and the rules read (the rows are at most `limit`).
        .only(*FLAGGED_COURSE_FIELDS)
        # Python's order of the names (code points), then the courses' own order.
        .order_by("-flag_count", _codepoint_order("patient__family_name"), "-started_on", "-id")[
            :limit
        ]
    )
    if not courses:
        return []
    responses: dict[int, list] = {}
    for r in QuestionnaireResponse.objects.filter(
        course_id__in=[c.pk for c in courses]
    ).chronological():
        responses.setdefault(r.course_id, []).append(r)
    flagged = []
    for course in courses:
        flags = evaluate_course(
            course=course,
            sessions_done=course.signed_session_count,
            last_session_at=course.last_signed_session_at,
            series=_series(responses.get(course.pk, []), instruments),
            rules=rules,
            now=now,
            has_upcoming=_booked_from(course.patient.latest_booked_start, now),
        )
        if flags:
            flagged.append({"course": course, "flags": flags})
    return flagged


def course_charts(data) -> dict:
    """The SVG charts of one course: the same markup in the chart tab and the PDF reports."""
    scores = []
    for s in data.series:
        inst = s.instrument
        scores.append(
            {
                "series": s,
                "svg": score_chart(
                    name=inst.name,
                    abbreviation=inst.abbreviation,
                    score_range=inst.range,
                    higher_is_better=inst.higher_is_better,
                    mcid=inst.mcid,
                    baseline=s.baseline.total if s.baseline and inst.mcid is not None else None,
                    points=[(p.session_number, p.total) for p in s.points],
                ),
            }
        )
    return {
        "pain_svg": pain_chart(data.sessions),
        "dose_svg": dose_chart(data.sessions),
        "score_charts": scores,
    }
