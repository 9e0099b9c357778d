"""Clinic analytics on demo data match an independent computation from the raw rows.

The independent side reads plain `.values()` lists and computes every figure in Python with the
knowledge engine's own MCID rule, so a wrong GROUP BY, filter or subquery in analytics.py shows
up as a mismatch.
"""

import datetime
import random
import statistics
from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import AdverseEvent, CourseOfCare, TreatmentSession
from imsclinic.knowledge import is_meaningful_change, load_knowledge
from imsclinic.outcomes import analytics
from imsclinic.outcomes import demo as outcomes_demo
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.web.demo import build_demo
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db


def build_analytics_demo():
    """The demo clinic, with courses and questionnaire answers to compute outcomes over."""
    ctx = build_demo(patients=36, seed=7)
    if not CourseOfCare.objects.filter(clinic=ctx.clinic).exists():
        # The clinical area's demo step is not in this build: lay out courses ourselves so the
        # outcomes step has something to answer questionnaires over.
        _courses_for(ctx)
        outcomes_demo.build(ctx)
    return ctx


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo clinic for the module's tests (each test's own writes roll back)."""
    with rolled_back_for_the_module(django_db_blocker):
        yield build_analytics_demo()


def _courses_for(ctx):
    from tests.factories.outcomes import course_with_sessions

    rng = random.Random(11)
    conditions = ["low_back_pain", "neck_pain", "shoulder_pain_rotator_cuff"]
    staff = [ctx.users["practitioner"], ctx.users["colleague"]]
    for patient in [p for p in ctx.patients if p.clinic_id == ctx.clinic.pk][:20]:
        n = rng.randint(1, 8)
        start = timezone.now() - datetime.timedelta(weeks=n + rng.randint(0, 20))
        course = course_with_sessions(
            patient=patient,
            practitioner=rng.choice(staff),
            pains=[(rng.randint(3, 8), rng.randint(1, 5)) for _ in range(n)],
            start=start,
            condition_id=rng.choice(conditions),
        )
        for session in TreatmentSession.objects.filter(course=course):
            if rng.random() < 0.3:
                AdverseEvent.objects.create(
                    session=session,
                    patient=patient,
                    clinic=patient.clinic,
                    kind=rng.choice(["bruising", "bleeding", "soreness_severe"]),
                    severity=rng.choice(["mild", "mild", "significant"]),
                    action_taken="Noted",
                )


def independent(clinic, instrument_id="nprs", review=4, start=None, end=None, condition=""):
    """Every analytics figure from raw rows, in plain Python."""
    inst = load_knowledge().instruments[instrument_id]
    tz = clinic.tz
    courses = {
        c["id"]: c
        for c in CourseOfCare.objects.filter(clinic=clinic).values(
            "id", "condition_id", "started_on", "practitioner_id"
        )
        if (not start or c["started_on"] >= start)
        and (not end or c["started_on"] <= end)
        and (not condition or c["condition_id"] == condition)
    }
    all_courses = dict(CourseOfCare.objects.values_list("id", "condition_id"))
    sessions = [
        s
        for s in TreatmentSession.objects.filter(clinic=clinic).values(
            "id", "patient_id", "started_at", "signed_at", "course_id", "practitioner_id"
        )
        if s["signed_at"] is not None
        and (not start or s["started_at"].astimezone(tz).date() >= start)
        and (not end or s["started_at"].astimezone(tz).date() <= end)
        and (not condition or all_courses.get(s["course_id"]) == condition)
    ]
    session_ids = {s["id"] for s in sessions}
    signed_per_course = defaultdict(int)
    for s in TreatmentSession.objects.values("course_id", "signed_at"):
        if s["signed_at"] is not None:
            signed_per_course[s["course_id"]] += 1
    responses = defaultdict(list)
    for r in QuestionnaireResponse.objects.filter(instrument_id=instrument_id).values(
        "id", "course_id", "timepoint", "total", "session_number", "completed_at"
    ):
        responses[r["course_id"]].append(r)

    by_condition = defaultdict(lambda: {"courses": 0, "reached": 0, "sessions": []})
    eligible = non = 0
    for cid, course in courses.items():
        rows = sorted(responses.get(cid, []), key=lambda r: (r["completed_at"], r["id"]))
        intake = [r for r in rows if r["timepoint"] == "intake"]
        if not intake:
            continue
        base = intake[0]["total"]
        follow = [r for r in rows if r["timepoint"] != "intake"]
        hits = [r["session_number"] for r in follow if is_meaningful_change(inst, base, r["total"])]
        if follow:
            group = by_condition[course["condition_id"]]
            group["courses"] += 1
            if hits:
                group["reached"] += 1
                group["sessions"].append(min(hits))
        if signed_per_course[cid] >= review:
            eligible += 1
            non += not any(n <= review for n in hits)
    months = defaultdict(lambda: {"sessions": 0, "patients": set()})
    for s in sessions:
        local = s["started_at"].astimezone(tz)
        months[(local.year, local.month)]["sessions"] += 1
        months[(local.year, local.month)]["patients"].add(s["patient_id"])
    events = [
        e
        for e in AdverseEvent.objects.values("session_id", "kind", "severity")
        if e["session_id"] in session_ids
    ]
    kinds, severities = defaultdict(int), defaultdict(int)
    for e in events:
        kinds[e["kind"]] += 1
        severities[e["severity"]] += 1
    return {
        "sessions": len(sessions),
        "patients": len({s["patient_id"] for s in sessions}),
        "months": {k: (v["sessions"], len(v["patients"])) for k, v in months.items()},
        "by_condition": {
            k: (
                v["courses"],
                v["reached"],
                statistics.median(v["sessions"]) if v["sessions"] else None,
                round(sum(v["sessions"]) / len(v["sessions"]), 2) if v["sessions"] else None,
            )
            for k, v in by_condition.items()
        },
        "non_responders": (eligible, non),
        "kinds": {k: (n, round(n * 1000 / len(sessions), 2)) for k, n in kinds.items()},
        "severities": dict(severities),
    }


def computed(clinic, **kw):
    inst = load_knowledge().instruments["nprs"]
    f = analytics.Filters(clinic=clinic, instrument=inst, **kw)
    report = analytics.summary(f)
    return {
        "sessions": report["totals"]["sessions"],
        "patients": report["totals"]["patients"],
        "months": {
            (r["month"].year, r["month"].month): (r["sessions"], r["patients"])
            for r in report["over_time"]
        },
        "by_condition": {
            r["key"]: (r["courses"], r["reached"], r["median_sessions"], r["mean_sessions"])
            for r in report["mcid_by_condition"]
        },
        "non_responders": (
            report["non_responders"]["eligible"],
            report["non_responders"]["non_responders"],
        ),
        "kinds": {
            r["kind"]: (r["events"], r["per_1000"]) for r in report["adverse_events"]["by_kind"]
        },
        "severities": {r["severity"]: r["events"] for r in report["adverse_events"]["by_severity"]},
    }


def test_analytics_on_demo_data_match_an_independent_computation(demo):
    clinic = demo.clinic
    expected = independent(clinic)
    assert expected["sessions"] > 20 and expected["by_condition"], "the demo has data to check"
    assert computed(clinic) == expected


def test_analytics_filters_by_date_and_condition_match_too(demo):
    clinic = demo.clinic
    today = clinic.today()
    start, end = today - datetime.timedelta(days=70), today - datetime.timedelta(days=7)
    condition = (
        CourseOfCare.objects.filter(clinic=clinic).values_list("condition_id", flat=True).first()
    )
    kw = {"start": start, "end": end, "condition": condition}
    assert computed(clinic, **kw) == independent(clinic, **kw)


def test_demo_trajectories_have_responders_and_non_responders(demo):
    report = computed(demo.clinic)
    eligible, non = report["non_responders"]
    reached = sum(v[1] for v in report["by_condition"].values())
    courses = sum(v[0] for v in report["by_condition"].values())
    assert reached > 0 and reached < courses
    assert eligible == 0 or 0 < non < eligible


def test_analytics_page_and_audited_csv_for_clinic_admin_only(client, demo):
    admin = demo.users["admin"]
    client.force_login(demo.users["frontdesk"])
    assert client.get(reverse("outcomes:analytics")).status_code == 403
    client.force_login(demo.users["practitioner"])
    assert client.get(reverse("outcomes:analytics")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("outcomes:analytics"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Brady 2014" in body and "Boyce 2020" in body and "Non-responders at session 4" in body
    csv = client.get(reverse("outcomes:analytics-csv"))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode()
    assert text.startswith("section,group,measure,value")
    assert f"totals,all,sessions,{computed(demo.clinic)['sessions']}" in text
    assert AuditEvent.objects.filter(action="analytics.export.csv").count() == 1
    bad = client.get(
        reverse("outcomes:analytics-csv"), {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("filtered", [False, True])
def test_per_practitioner_sessions_and_events_match_the_raw_rows(demo, filtered):
    clinic = demo.clinic
    kw = {}
    if filtered:
        today = clinic.today()
        kw = {"start": today - datetime.timedelta(days=70), "end": today}
    inst = load_knowledge().instruments["nprs"]
    rows = analytics.by_practitioner(analytics.Filters(clinic=clinic, instrument=inst, **kw))
    tz = clinic.tz
    sessions = {
        s["id"]: s
        for s in TreatmentSession.objects.filter(clinic=clinic, signed_at__isnull=False).values(
            "id", "practitioner_id", "started_at"
        )
        if not kw or kw["start"] <= s["started_at"].astimezone(tz).date() <= kw["end"]
    }
    expected = defaultdict(lambda: [0, 0])
    for s in sessions.values():
        expected[s["practitioner_id"]][0] += 1
    for session_id in AdverseEvent.objects.values_list("session_id", flat=True):
        if session_id in sessions:
            expected[sessions[session_id]["practitioner_id"]][1] += 1
    got = {r["practitioner_id"]: [r["sessions"], r["events"]] for r in rows if r["sessions"]}
    assert got == dict(expected) and any(events for _s, events in got.values())


def test_adverse_event_counts_read_the_clinics_events_only(demo):
    """The event queries start from the clinic's events, not `session_id IN (...)`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    inst = load_knowledge().instruments["nprs"]
    f = analytics.Filters(clinic=demo.clinic, instrument=inst)
    with CaptureQueriesContext(connection) as ctx:
        analytics.adverse_events(f)
        analytics.by_practitioner(f)
    event_sql = [q["sql"] for q in ctx.captured_queries if "clinical_adverseevent" in q["sql"]]
    assert len(event_sql) == 3
    for sql in event_sql:
        assert '"clinical_adverseevent"."clinic_id" =' in sql
        assert '"session_id" IN' not in sql


def test_summary_reads_the_course_outcome_rows_once_and_no_records(demo):
    """The MCID figures come from one grouped query over the maintained course outcome rows
    (the correlated subqueries over every course's responses cost ~70 ms at network size), and
    its rows feed MCID by condition, by practitioner and non-responders alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    inst = load_knowledge().instruments["nprs"]
    f = analytics.Filters(clinic=demo.clinic, instrument=inst)
    with CaptureQueriesContext(connection) as ctx:
        report = analytics.summary(f)
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("outcomes_courseoutcome" in q for q in sql) == 1, sql
    assert not [q for q in sql if "outcomes_questionnaireresponse" in q], sql
    assert not [q for q in sql if "clinical_treatmentsession" in q], sql
    assert report["mcid_by_condition"] and report["non_responders"]["eligible"]
    rows = analytics.course_rows(f)
    with CaptureQueriesContext(connection) as ctx:
        by_condition = analytics.mcid_by(f, "condition_id", rows)
        by_practitioner = analytics.mcid_by(f, "practitioner_id", rows)
        non = analytics.non_responders(f, rows)
    assert not ctx.captured_queries
    # Given rows or fetching their own, the helpers agree.
    assert by_condition == analytics.mcid_by(f, "condition_id") == report["mcid_by_condition"]
    assert by_practitioner == analytics.mcid_by(f, "practitioner_id")
    assert non == analytics.non_responders(f) == report["non_responders"]


def test_csv_pins_mcid_formatting_on_every_database(client, clinic_a, alice, olivia):
    """Mean sessions to MCID is a float rounded to 2 decimals and the median a float, whichever
    database computed them, so the CSV reads the same on SQLite and PostgreSQL ("4", not "4.00")."""
    from tests.factories.outcomes import course_with_sessions, scores
    from tests.factories.patients import PatientFactory

    # condition -> first session reaching the NPRS MCID per course (None: never reached)
    plan = {
        "low_back_pain": [2, 3, 3, None],
        "neck_pain": [2, 5],
        "shoulder_pain_rotator_cuff": [4, 4],
    }
    for condition, reached in plan.items():
        for k in reached:
            course = course_with_sessions(
                patient=PatientFactory(clinic=clinic_a),
                practitioner=alice,
                pains=[(8, 6)] * 5,
                condition_id=condition,
            )
            follow = [(1, "interim", {"pain": 7})]
            follow += [(k, "review", {"pain": 5})] if k else [(4, "review", {"pain": 7})]
            scores(course, "nprs", [(0, "intake", {"pain": 8}), *follow])

    f = analytics.Filters(clinic=clinic_a, instrument=load_knowledge().instruments["nprs"])
    report = analytics.summary(f)
    for row in report["mcid_by_condition"]:
        assert type(row["mean_sessions"]) is float and type(row["median_sessions"]) is float

    client.force_login(olivia)
    response = client.get(reverse("outcomes:analytics-csv"), {"instrument": "nprs"})
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    names = {c.id: c.name for c in load_knowledge().conditions.values()}
    mcid = [line for line in lines if line.startswith(("mcid_by_condition,", "non_responders,"))]
    lbp, neck, shoulder = (names[c] for c in plan)
    assert mcid == [
        f"mcid_by_condition,{lbp},courses,4",
        f"mcid_by_condition,{lbp},reached,3",
        f"mcid_by_condition,{lbp},share,0.75",
        f"mcid_by_condition,{lbp},mean_sessions,2.67",
        f"mcid_by_condition,{lbp},median_sessions,3",
        f"mcid_by_condition,{neck},courses,2",
        f"mcid_by_condition,{neck},reached,2",
        f"mcid_by_condition,{neck},share,1",
        f"mcid_by_condition,{neck},mean_sessions,3.5",
        f"mcid_by_condition,{neck},median_sessions,3.5",
        f"mcid_by_condition,{shoulder},courses,2",
        f"mcid_by_condition,{shoulder},reached,2",
        f"mcid_by_condition,{shoulder},share,1",
        f"mcid_by_condition,{shoulder},mean_sessions,4",
        f"mcid_by_condition,{shoulder},median_sessions,4",
        "non_responders,session 4,eligible,8",
        "non_responders,session 4,non_responders,2",
        "non_responders,session 4,share,0.25",
    ]
