"""Analytics rollups and course priorities are maintained at signing and equal the direct
computation from the records, for any date filter (whole and partial months) and condition."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count

from imsclinic.clinical import actions
from imsclinic.clinical.models import CourseOfCare
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes import analytics, rollups
from imsclinic.outcomes.models import ClinicMonthRollup, EventMonthRollup, PatientMonthRollup
from imsclinic.outcomes.priority import refresh_course_priorities
from imsclinic.web.demo import build_demo
from tests.factories import (
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo network for the module's tests (each test's own writes roll back)."""
    with rolled_back_for_the_module(django_db_blocker):
        yield build_demo(patients=36, seed=11)


def _filters(clinic, **kw):
    return analytics.Filters(clinic=clinic, instrument=load_knowledge().instruments["nprs"], **kw)


def _direct(f):
    """The figures computed straight from the sessions and events (no rollup involved)."""
    totals = analytics.sessions_queryset(f).aggregate(
        sessions=Count("id"), patients=Count("patient_id", distinct=True)
    )
    return {
        "totals": totals,
        "over_time": analytics.over_time(f),
        "adverse_events": analytics.adverse_events(f),
        "by_practitioner": analytics.by_practitioner(f),
    }


def _from_rollups(f):
    report = analytics.summary(f)
    return {
        key: report[key] for key in ("totals", "over_time", "adverse_events", "by_practitioner")
    }


def _snapshot():
    return {
        model.__name__: sorted(
            tuple(row) for row in model.objects.values_list(*_fields(model)).order_by()
        )
        for model in (PatientMonthRollup, EventMonthRollup, ClinicMonthRollup)
    }


def _fields(model):
    return [f.attname for f in model._meta.concrete_fields if f.attname != "id"]


def _random_ranges(clinic, n, seed):
    rng = random.Random(seed)
    today = clinic.today()
    picks = [(None, None), (None, today), (today.replace(day=1), None)]
    # Month edges on purpose: first days, last days and mid-month days.
    for _ in range(n):
        start = today - datetime.timedelta(days=rng.randint(0, 200))
        start = rng.choice([start, start.replace(day=1)])
        end = start + datetime.timedelta(days=rng.choice([0, 1, 27, 30, 31, 45, 90, 150]))
        picks.append((rng.choice([start, None]), end))
    return picks


def test_rollup_figures_equal_the_direct_computation_for_any_range(demo):
    clinic = demo.clinic
    assert PatientMonthRollup.objects.filter(clinic=clinic).exists(), "the demo builds rollups"
    conditions = [""] + sorted(
        set(CourseOfCare.objects.filter(clinic=clinic).values_list("condition_id", flat=True))
    )[:2]
    checked = 0
    for start, end in _random_ranges(clinic, 12, seed=3):
        for condition in conditions:
            f = _filters(clinic, start=start, end=end, condition=condition)
            assert _from_rollups(f) == _direct(f), (start, end, condition)
            checked += _direct(f)["totals"]["sessions"]
    assert checked > 100, "the ranges cover real sessions"


def test_the_rebuild_command_reproduces_the_maintained_rows(demo):
    maintained = _snapshot()
    PatientMonthRollup.objects.all().delete()
    ClinicMonthRollup.objects.all().delete()
    call_command("analytics", "rebuild", no_progress=True)
    assert _snapshot() == maintained


@pytest.fixture
def course(patient_a, alice):
    ConsentFactory(patient=patient_a, explained_by=alice)
    return CourseOfCareFactory(patient=patient_a, practitioner=alice, review_at_session=1)


def _sign_one(patient, practitioner, course, number):
    draft = TreatmentSessionFactory(
        patient=patient, practitioner=practitioner, course=course, session_number=number
    )
    NeedlingRowFactory(session=draft, muscle_id="gluteus_medius", side="R", depth_mm=Decimal(30))
    return actions.sign_session(session=draft, by=practitioner)


def test_signing_and_an_adverse_event_update_the_rollups_at_once(patient_a, alice, course):
    clinic = patient_a.clinic
    f = _filters(clinic)
    assert _from_rollups(f)["totals"] == {"sessions": 0, "patients": 0}
    session = _sign_one(patient_a, alice, course, 1)
    assert _from_rollups(f) == _direct(f)
    assert _from_rollups(f)["totals"] == {"sessions": 1, "patients": 1}
    actions.add_adverse_event(
        session=session,
        by=alice,
        fields={"kind": "bruising", "severity": "mild", "action_taken": "Ice, reassured"},
    )
    assert _from_rollups(f) == _direct(f)
    assert _from_rollups(f)["adverse_events"]["by_kind"][0]["events"] == 1
    month = rollups.month_start(session.started_at, clinic.tz)
    assert ClinicMonthRollup.objects.get(clinic=clinic, month=month).adverse_events == 1
    # What signing maintained is what a rebuild computes.
    maintained = _snapshot()
    call_command("analytics", "rebuild", no_progress=True)
    assert _snapshot() == maintained


def test_signing_maintains_the_course_priority(patient_a, alice, course):
    assert (course.signed_session_count, course.priority) == (0, 0)
    _sign_one(patient_a, alice, course, 1)
    course.refresh_from_db()
    # Review planned at session 1 and no review questionnaire: "reassessment due".
    assert course.signed_session_count == 1
    assert course.last_signed_session_at is not None
    assert course.priority == 1
    assert refresh_course_priorities(CourseOfCare.objects.filter(pk=course.pk)) == 0


def test_network_dashboard_months_equal_the_direct_counts(demo):
    clinic_ids = [demo.clinic.pk, demo.other_clinic.pk]
    rows = rollups.network_months(clinic_ids)
    assert {r["clinic_id"] for r in rows} == set(clinic_ids)
    for row in rows:
        clinic = demo.clinic if row["clinic_id"] == demo.clinic.pk else demo.other_clinic
        month = row["month"]
        end = rollups.next_month(month) - datetime.timedelta(days=1)
        direct = _direct(_filters(clinic, start=month, end=end))
        assert row["sessions"] == direct["totals"]["sessions"]
        assert row["patients"] == direct["totals"]["patients"]
        assert row["adverse_events"] == sum(
            k["events"] for k in direct["adverse_events"]["by_kind"]
        )


@pytest.mark.parametrize(
    ("start", "end", "whole", "partial"),
    [
        ("2026-03-01", "2026-05-31", ("2026-03-01", "2026-06-01"), []),
        ("2026-03-15", "2026-05-31", ("2026-04-01", "2026-06-01"), [("2026-03-15", "2026-04-01")]),
        ("2026-03-01", "2026-05-10", ("2026-03-01", "2026-05-01"), [("2026-05-01", "2026-05-11")]),
        ("2026-03-15", "2026-03-20", None, [("2026-03-15", "2026-03-21")]),
        (
            "2026-12-15",
            "2027-01-10",
            None,
            [("2026-12-15", "2027-01-01"), ("2027-01-01", "2027-01-11")],
        ),
    ],
)
def test_a_range_splits_into_whole_months_and_partial_edges(start, end, whole, partial):
    day = datetime.date.fromisoformat
    first, full_end, parts = rollups.split_range(day(start), day(end))
    if whole is None:
        assert first >= full_end
    else:
        assert (first, full_end) == (day(whole[0]), day(whole[1]))
    assert parts == [(day(a), day(b)) for a, b in partial]


def test_network_dashboard_shows_every_clinic_the_user_runs(client, demo):
    from django.urls import reverse

    from imsclinic.accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, clinic=demo.clinic, role=Role.CLINIC_ADMIN)
    MembershipFactory(user=owner, clinic=demo.other_clinic, role=Role.CLINIC_ADMIN)
    client.force_login(owner)
    page = client.get(reverse("outcomes:network"))
    assert page.status_code == 200
    html = page.content.decode()
    assert demo.clinic.name.replace("&", "&amp;") in html
    assert demo.other_clinic.name.replace("&", "&amp;") in html
    rows = {row["clinic"].pk: row for row in page.context["table"]}
    since = page.context["months"][0]
    for clinic in (demo.clinic, demo.other_clinic):
        direct = _direct(_filters(clinic, start=since, end=clinic.today()))
        assert rows[clinic.pk]["sessions"] == direct["totals"]["sessions"]


def test_network_dashboard_is_for_clinic_admins_only(client, alice, clinic_a):
    from django.urls import reverse

    client.force_login(alice)
    assert client.get(reverse("outcomes:network")).status_code == 403
