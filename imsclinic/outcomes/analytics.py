"""Clinic analytics as aggregate queries: the database does the counting, Python only formats.

The page reads maintained tables: sessions, patients and adverse events from the monthly rollups
(outcomes/rollups.py), the MCID figures from the per-course outcome rows
(outcomes/course_outcomes.py), grouped by the database into a few rows per condition,
practitioner and session number that `mcid_by` and `non_responders` add up. The direct
computations from the records (`over_time`, `adverse_events`, `by_practitioner`,
`annotated_courses`) define what the maintained figures must equal (tests/outcomes).
Definitions (also in docs/outcomes.md):

- Sessions: signed treatment sessions of the clinic; dates are the clinic's local dates.
- Course filters: a course is in range when it started within [start, end]; condition filters on
  the course's knowledge condition id.
- Baseline: the course's earliest intake response on the chosen instrument.
- Reached MCID: a later (non-intake) response on that instrument improved on the baseline by at
  least the instrument's MCID (direction-aware). Only courses with a baseline and at least one
  follow-up response count ("evaluable").
- Sessions to MCID: the signed-session count at the first response that reached MCID.
- Non-responder at session N (policy `no_change_session`, default 4): a course with a baseline and
  at least N signed sessions, none of whose responses completed by session N reached MCID.
- Adverse-event rate: events per 1,000 signed sessions in the same filter, by kind and severity.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from imsclinic.knowledge import Instrument
from imsclinic.outcomes import reference_rates
from imsclinic.outcomes.models import QuestionnaireResponse, Timepoint

EPSILON = 1e-9  # the knowledge engine's tolerance for "at least the MCID"


@dataclass(frozen=True)
class Filters:
    clinic: object
    instrument: Instrument
    start: datetime.date | None = None
    end: datetime.date | None = None
    condition: str = ""
    review_session: int = 4

    def bounds(self):
        tz = self.clinic.tz
        low = (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
            if self.start
            else None
        )
        high = (
            datetime.datetime.combine(
                self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            if self.end
            else None
        )
        return low, high


def sessions_queryset(f: Filters):
    from imsclinic.clinical.models import TreatmentSession

    qs = TreatmentSession.objects.filter(clinic=f.clinic, signed_at__isnull=False)
    low, high = f.bounds()
    if low:
        qs = qs.filter(started_at__gte=low)
    if high:
        qs = qs.filter(started_at__lt=high)
    if f.condition:
        qs = qs.filter(course__condition_id=f.condition)
    return qs


def events_queryset(f: Filters):
    """Adverse events of the sessions in `sessions_queryset(f)`, found from the clinic's events.

    Starting from `AdverseEvent.clinic` (indexed) and joining each event's session by its key
    lets the database read only this clinic's events; `session_id IN (the clinic's sessions)`
    made PostgreSQL read the whole adverse-event table of the network.
    """
    from imsclinic.clinical.models import AdverseEvent

    qs = AdverseEvent.objects.filter(
        clinic=f.clinic, session__clinic=f.clinic, session__signed_at__isnull=False
    )
    low, high = f.bounds()
    if low:
        qs = qs.filter(session__started_at__gte=low)
    if high:
        qs = qs.filter(session__started_at__lt=high)
    if f.condition:
        qs = qs.filter(session__course__condition_id=f.condition)
    return qs.order_by()


def courses_queryset(f: Filters):
    from imsclinic.clinical.models import CourseOfCare

    qs = CourseOfCare.objects.filter(clinic=f.clinic)
    if f.start:
        qs = qs.filter(started_on__gte=f.start)
    if f.end:
        qs = qs.filter(started_on__lte=f.end)
    if f.condition:
        qs = qs.filter(condition_id=f.condition)
    return qs


def over_time(f: Filters) -> list[dict]:
    """[{month, sessions, patients}] per clinic-local calendar month."""
    rows = (
        sessions_queryset(f)
        .annotate(month=TruncMonth("started_at", tzinfo=f.clinic.tz))
        .values("month")
        .annotate(sessions=Count("id"), patients=Count("patient_id", distinct=True))
        .order_by("month")
    )
    return [
        {
            "month": r["month"].date() if hasattr(r["month"], "date") else r["month"],
            **{"sessions": r["sessions"], "patients": r["patients"]},
        }
        for r in rows
    ]


def _meets_mcid(inst: Instrument, baseline_ref):
    """A Q on QuestionnaireResponse.total: improved on `baseline_ref` by at least the MCID."""
    if inst.higher_is_better:
        return Q(total__gte=baseline_ref + (inst.mcid - EPSILON))
    return Q(total__lte=baseline_ref - (inst.mcid - EPSILON))


def annotated_courses(f: Filters):
    """Courses with baseline, follow-up, first-MCID session and signed-session annotations,
    computed from the records by correlated subqueries per course (the definition the maintained
    course outcome rows are tested against; grows with the clinic's courses)."""
    inst = f.instrument
    responses = QuestionnaireResponse.objects.filter(course=OuterRef("pk"), instrument_id=inst.id)
    baseline = Subquery(
        responses.filter(timepoint=Timepoint.INTAKE)
        .order_by("completed_at", "id")
        .values("total")[:1]
    )
    follow_ups = responses.exclude(timepoint=Timepoint.INTAKE)
    meets = follow_ups.filter(_meets_mcid(inst, OuterRef("baseline_total")))
    from imsclinic.clinical.models import TreatmentSession

    signed = (
        TreatmentSession.objects.filter(course=OuterRef("pk"), signed_at__isnull=False)
        .order_by()
        .values("course")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        courses_queryset(f)
        .annotate(baseline_total=baseline)
        .filter(baseline_total__isnull=False)
        .annotate(
            has_follow_up=Exists(follow_ups),
            first_mcid_session=Subquery(
                meets.order_by("session_number").values("session_number")[:1]
            ),
            early_mcid=Exists(meets.filter(session_number__lte=f.review_session)),
            signed_sessions=Coalesce(Subquery(signed, output_field=IntegerField()), Value(0)),
        )
    )


def course_rows(f: Filters) -> list[dict]:
    """The courses with a baseline, counted per (condition, practitioner, has_follow_up,
    first_mcid_session), with how many of them are eligible and non-responders at the review
    session: every MCID figure is computed from these (course_outcomes.grouped_rows, which reads
    the maintained per-course rows). `summary` fetches them once for every grouping."""
    from imsclinic.outcomes.course_outcomes import grouped_rows

    return grouped_rows(f)


def direct_course_rows(f: Filters) -> list[dict]:
    """`course_rows(f)` computed from the records by `annotated_courses` (correlated subqueries
    per course): what the maintained rows must equal (tests/outcomes/test_course_outcomes.py)."""
    groups: dict[tuple, list[int]] = {}
    for row in (
        annotated_courses(f)
        .order_by()
        .values(
            "condition_id",
            "practitioner_id",
            "has_follow_up",
            "first_mcid_session",
            "early_mcid",
            "signed_sessions",
        )
    ):
        key = (
            row["condition_id"],
            row["practitioner_id"],
            row["has_follow_up"],
            row["first_mcid_session"],
        )
        counts = groups.setdefault(key, [0, 0, 0])  # courses, eligible, non-responders
        eligible = row["signed_sessions"] >= f.review_session
        counts[0] += 1
        counts[1] += eligible
        counts[2] += eligible and not row["early_mcid"]
    return [
        {
            "condition_id": condition,
            "practitioner_id": practitioner,
            "has_follow_up": has_follow_up,
            "first_mcid_session": first,
            "courses": courses,
            "eligible": eligible,
            "non_responders": non,
        }
        for (condition, practitioner, has_follow_up, first), (courses, eligible, non) in (
            groups.items()
        )
    ]


def mcid_by(f: Filters, group: str, rows: list[dict] | None = None) -> list[dict]:
    """Share of evaluable courses reaching MCID, mean and median sessions to MCID, grouped by
    `group` ("condition_id" or "practitioner_id"), ordered by the group key.

    `rows` are `course_rows(f)`, fetched here when not given. The mean is a float rounded to 2
    decimals on every database; the median is a float (the middle value, or the mean of the two
    middle values).
    """
    if rows is None:
        rows = course_rows(f)
    groups: dict = {}
    for row in rows:
        if not row["has_follow_up"]:
            continue
        g = groups.setdefault(row[group], {"courses": 0, "sessions": Counter()})
        g["courses"] += row["courses"]
        if row["first_mcid_session"] is not None:
            g["sessions"][row["first_mcid_session"]] += row["courses"]
    result = []
    for key in sorted(groups):
        g = groups[key]
        sessions = g["sessions"]
        reached = sum(sessions.values())
        result.append(
            {
                "key": key,
                "courses": g["courses"],
                "reached": reached,
                "share": reached / g["courses"],
                "mean_sessions": round(sum(s * n for s, n in sessions.items()) / reached, 2)
                if reached
                else None,
                "median_sessions": _median(sessions) if reached else None,
            }
        )
    return result


def _median(histogram: Counter) -> float:
    """The median of values given as {value: how many times}."""
    ordered = sorted(histogram.items())
    total = sum(histogram.values())

    def nth(index: int) -> int:
        for value, n in ordered:
            if index < n:
                return value
            index -= n
        raise IndexError(index)

    middle = total // 2
    if total % 2:
        return float(nth(middle))
    return (nth(middle - 1) + nth(middle)) / 2


def non_responders(f: Filters, rows: list[dict] | None = None) -> dict:
    """Courses with >= N signed sessions and a baseline; how many had no MCID by session N.

    `rows` are `course_rows(f)`, fetched here when not given."""
    if rows is None:
        rows = course_rows(f)
    eligible = sum(row["eligible"] for row in rows)
    non = sum(row["non_responders"] for row in rows)
    return {
        "session": f.review_session,
        "eligible": eligible,
        "non_responders": non,
        "share": (non / eligible) if eligible else None,
    }


def adverse_events(f: Filters) -> dict:
    """Rates per 1,000 signed sessions by kind and by severity, beside published rates."""
    from imsclinic.clinical.models import AdverseEvent

    sessions = sessions_queryset(f).count()
    events = events_queryset(f)
    by_kind = events.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    by_severity = events.values("severity").annotate(n=Count("id")).order_by("severity")

    def rate(n):
        return round(n * 1000 / sessions, 2) if sessions else None

    kinds = dict(AdverseEvent.Kind.choices)
    severities = dict(AdverseEvent.Severity.choices)
    return {
        "sessions": sessions,
        "by_kind": [
            {
                "kind": r["kind"],
                "label": kinds.get(r["kind"], r["kind"]),
                "events": r["n"],
                "per_1000": rate(r["n"]),
                "references": reference_rates.references_for_kind(r["kind"]),
            }
            for r in by_kind
        ],
        "by_severity": [
            {
                "severity": r["severity"],
                "label": severities.get(r["severity"], r["severity"]),
                "events": r["n"],
                "per_1000": rate(r["n"]),
                "references": reference_rates.references_for_severity(r["severity"]),
            }
            for r in by_severity
        ],
    }


def by_practitioner(f: Filters, rows: list[dict] | None = None) -> list[dict]:
    """Sessions, patients, adverse events (per 1,000) and MCID share per practitioner.

    `rows` are `course_rows(f)`, fetched here when not given."""
    from django.contrib.auth import get_user_model

    session_rows = (
        sessions_queryset(f)
        .values("practitioner_id")
        .annotate(sessions=Count("id"), patients=Count("patient_id", distinct=True))
        .order_by("practitioner_id")
    )
    events = dict(
        events_queryset(f)
        .values_list("session__practitioner_id")
        .annotate(n=Count("id"))
        .values_list("session__practitioner_id", "n")
    )
    mcid = {r["key"]: r for r in mcid_by(f, "practitioner_id", rows)}
    ids = {r["practitioner_id"] for r in session_rows} | set(mcid)
    names = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=ids)}
    result = []
    by_id = {r["practitioner_id"]: r for r in session_rows}
    for pid in sorted(ids, key=lambda i: names.get(i, "")):
        r = {"sessions": 0, "patients": 0, **by_id.get(pid, {}), "events": events.get(pid, 0)}
        m = mcid.get(pid, {})
        result.append(
            {
                "practitioner_id": pid,
                "name": names.get(pid, "?"),
                "sessions": r["sessions"],
                "patients": r["patients"],
                "events": r["events"],
                "events_per_1000": round(r["events"] * 1000 / r["sessions"], 2)
                if r["sessions"]
                else None,
                "courses": m.get("courses", 0),
                "reached": m.get("reached", 0),
                "share": m.get("share"),
            }
        )
    return result


def summary(f: Filters) -> dict:
    """Everything the analytics page and CSV show.

    Session, patient and adverse-event figures come from the monthly rollups (outcomes/rollups.py:
    whole months from the rollup tables, the partial months at the filter's edges from the
    records); they equal `over_time`, `adverse_events` and `by_practitioner` computed directly
    (tests/outcomes/test_rollups.py). The MCID figures come from one grouped query over the
    course outcome rows (tests/outcomes/test_course_outcomes.py).
    """
    from imsclinic.outcomes import rollups

    rows = course_rows(f)
    figures = rollups.session_figures(f)
    events = rollups.event_rows(f)
    return {
        "totals": figures["totals"],
        "over_time": figures["over_time"],
        "mcid_by_condition": mcid_by(f, "condition_id", rows),
        "non_responders": non_responders(f, rows),
        "adverse_events": _adverse_events_from(figures["totals"]["sessions"], events),
        "by_practitioner": _by_practitioner_from(f, figures["by_practitioner"], events, rows),
    }


def _adverse_events_from(sessions: int, events: list[tuple]) -> dict:
    """`adverse_events(f)` from rollup rows (practitioner, kind, severity, events)."""
    from collections import Counter

    from imsclinic.clinical.models import AdverseEvent

    by_kind, by_severity = Counter(), Counter()
    for _practitioner, kind, severity, n in events:
        by_kind[kind] += n
        by_severity[severity] += n

    def rate(n):
        return round(n * 1000 / sessions, 2) if sessions else None

    kinds = dict(AdverseEvent.Kind.choices)
    severities = dict(AdverseEvent.Severity.choices)
    return {
        "sessions": sessions,
        "by_kind": [
            {
                "kind": kind,
                "label": kinds.get(kind, kind),
                "events": n,
                "per_1000": rate(n),
                "references": reference_rates.references_for_kind(kind),
            }
            for kind, n in sorted(by_kind.items(), key=lambda item: (-item[1], item[0]))
        ],
        "by_severity": [
            {
                "severity": severity,
                "label": severities.get(severity, severity),
                "events": n,
                "per_1000": rate(n),
                "references": reference_rates.references_for_severity(severity),
            }
            for severity, n in sorted(by_severity.items())
        ],
    }


def _by_practitioner_from(f: Filters, sessions: dict, events: list[tuple], rows) -> list[dict]:
    """`by_practitioner(f)` from rollup figures and the per-course rows."""
    from collections import Counter

    from django.contrib.auth import get_user_model

    event_counts = Counter()
    for practitioner, _kind, _severity, n in events:
        event_counts[practitioner] += n
    mcid = {r["key"]: r for r in mcid_by(f, "practitioner_id", rows)}
    ids = set(sessions) | set(mcid)
    names = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=ids)}
    result = []
    for pid in sorted(ids, key=lambda i: names.get(i, "")):
        r = sessions.get(pid, {"sessions": 0, "patients": 0})
        n_events = event_counts.get(pid, 0)
        m = mcid.get(pid, {})
        result.append(
            {
                "practitioner_id": pid,
                "name": names.get(pid, "?"),
                "sessions": r["sessions"],
                "patients": r["patients"],
                "events": n_events,
                "events_per_1000": round(n_events * 1000 / r["sessions"], 2)
                if r["sessions"]
                else None,
                "courses": m.get("courses", 0),
                "reached": m.get("reached", 0),
                "share": m.get("share"),
            }
        )
    return result
