"""The maintained per-course outcome rows give the MCID figures the records give: for generated
course histories and for the demo clinic, under every filter the analytics page offers (dates,
condition, instrument, review session), and they follow every kind of write that changes them."""

import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsclinic.accounts.models import Role
from imsclinic.clinical import actions as clinical_actions
from imsclinic.clinical.models import CourseOfCare
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes import actions as outcome_actions
from imsclinic.outcomes import analytics
from imsclinic.outcomes.course_outcomes import grouped_rows
from imsclinic.outcomes.models import CourseOutcome
from imsclinic.web.demo import build_demo
from tests.factories import (
    ConsentFactory,
    CourseOfCareFactory,
    MembershipFactory,
    NeedlingRowFactory,
    PatientFactory,
    TreatmentSessionFactory,
    UserFactory,
)
from tests.factories.outcomes import QuestionnaireResponseFactory, course_with_sessions
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db

CONDITIONS = ["low_back_pain", "neck_pain", ""]


def _filters(clinic, instrument="nprs", **kw):
    return analytics.Filters(
        clinic=clinic, instrument=load_knowledge().instruments[instrument], **kw
    )


def _key(row):
    return tuple(str(v) for v in row.values())


def _same_figures(f):
    """The maintained rows, grouped, equal the direct computation from the records, and so does
    every figure made from them."""
    maintained = sorted(analytics.course_rows(f), key=_key)
    direct = sorted(analytics.direct_course_rows(f), key=_key)
    assert maintained == direct, f
    for group in ("condition_id", "practitioner_id"):
        assert analytics.mcid_by(f, group, maintained) == analytics.mcid_by(f, group, direct)
    assert analytics.non_responders(f, maintained) == analytics.non_responders(f, direct)
    return sum(row["courses"] for row in direct)


def _snapshot():
    fields = [f.attname for f in CourseOutcome._meta.concrete_fields if f.attname != "id"]
    return sorted(tuple(row) for row in CourseOutcome.objects.values_list(*fields))


# --- generated histories ------------------------------------------------------------------------

# Totals on the MCID boundaries on purpose (NPRS MCID 2, lower is better; PSFS 2.3, higher).
TOTALS = st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.3, 5.0, 6.0, 6.3, 7.0, 8.0, 9.0, 10.0])
RESPONSE = st.tuples(
    st.sampled_from(["nprs", "psfs"]),
    st.sampled_from(["intake", "intake", "interim", "review", "discharge"]),
    TOTALS,
    st.integers(0, 6),  # session number
    st.integers(0, 3),  # days after the course start: equal times tie-break on the id
)
COURSE = st.fixed_dictionaries(
    {
        "signed": st.integers(0, 6),
        "condition": st.sampled_from(CONDITIONS),
        "practitioner": st.integers(0, 1),
        "started_days_ago": st.integers(0, 90),
        "responses": st.lists(RESPONSE, max_size=6),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    courses=st.lists(COURSE, min_size=1, max_size=5),
    review=st.integers(1, 6),
    window=st.tuples(st.integers(0, 100), st.integers(0, 100)),
)
def test_generated_histories_give_the_figures_of_the_records(
    clinic_a, alice, courses, review, window
):
    today = clinic_a.today()
    with transaction.atomic():  # each example's writes roll back
        colleague = UserFactory()
        MembershipFactory(user=colleague, clinic=clinic_a, role=Role.PRACTITIONER)
        for spec in courses:
            start = datetime.datetime.combine(
                today - datetime.timedelta(days=spec["started_days_ago"]),
                datetime.time(9),
                tzinfo=clinic_a.tz,
            )
            course = course_with_sessions(
                patient=PatientFactory(clinic=clinic_a),
                practitioner=[alice, colleague][spec["practitioner"]],
                pains=[(6, 4)] * spec["signed"],
                start=start,
                condition_id=spec["condition"],
            )
            for instrument_id, timepoint, total, number, days in spec["responses"]:
                QuestionnaireResponseFactory(
                    patient=course.patient,
                    course=course,
                    instrument_id=instrument_id,
                    answers={},
                    total=total,
                    timepoint=timepoint,
                    session_number=number,
                    completed_at=start + datetime.timedelta(days=days),
                )
        low, high = sorted(today - datetime.timedelta(days=d) for d in window)
        for instrument in ("nprs", "psfs"):
            for condition in ("", "low_back_pain"):
                for dates in ({}, {"start": low, "end": high}, {"end": high}):
                    f = _filters(
                        clinic_a, instrument, condition=condition, review_session=review, **dates
                    )
                    _same_figures(f)
        maintained = _snapshot()
        call_command("analytics", "rebuild", no_progress=True)
        assert _snapshot() == maintained
        transaction.set_rollback(True)


# --- the demo clinic ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo network for the module's tests (each test's own writes roll back)."""
    with rolled_back_for_the_module(django_db_blocker):
        yield build_demo(patients=36, seed=5)


def test_demo_figures_equal_the_records_under_every_filter(demo):
    clinic = demo.clinic
    rng = random.Random(4)
    today = clinic.today()
    courses = CourseOfCare.objects.filter(clinic=clinic)
    conditions = [""] + sorted(set(courses.values_list("condition_id", flat=True)))[:2]
    checked = 0
    for instrument in ("nprs", "psfs"):
        for condition in conditions:
            for _ in range(4):
                start = today - datetime.timedelta(days=rng.randint(0, 400))
                dates = rng.choice(
                    [{}, {"start": start}, {"end": start}, {"start": start, "end": today}]
                )
                f = _filters(
                    clinic,
                    instrument,
                    condition=condition,
                    review_session=rng.randint(1, 8),
                    **dates,
                )
                checked += _same_figures(f)
    assert checked > 50, "the filters cover courses with a baseline"


def test_the_rebuild_reproduces_the_maintained_rows(demo):
    maintained = _snapshot()
    assert maintained, "the demo builds course outcome rows"
    CourseOutcome.objects.all().delete()
    call_command("analytics", "rebuild", no_progress=True)
    assert _snapshot() == maintained


# --- maintenance --------------------------------------------------------------------------------


@pytest.fixture
def course(patient_a, alice):
    ConsentFactory(patient=patient_a, explained_by=alice)
    return CourseOfCareFactory(patient=patient_a, practitioner=alice, condition_id="neck_pain")


def _row(course, instrument="nprs"):
    return CourseOutcome.objects.get(course=course, instrument_id=instrument)


def record_nprs(course, pain, timepoint, by):
    """An NPRS response on `course` through the real action (also the concurrency tests')."""
    return outcome_actions.record_response(
        patient=course.patient,
        instrument_id="nprs",
        answers={"pain": pain},
        via="clinic",
        timepoint=timepoint,
        by=by,
        course=course,
    )


def _sign_one(course, number, by):
    draft = TreatmentSessionFactory(
        patient=course.patient, practitioner=by, course=course, session_number=number
    )
    NeedlingRowFactory(session=draft, muscle_id="gluteus_medius", side="R", depth_mm=Decimal(30))
    return clinical_actions.sign_session(session=draft, by=by)


def test_recording_and_signing_keep_the_row_current(course, alice):
    assert not CourseOutcome.objects.filter(course=course).exists()
    record_nprs(course, 8, "intake", alice)
    row = _row(course)
    assert (row.baseline_total, row.has_follow_up, row.first_mcid_session) == (8, False, None)
    _sign_one(course, 1, alice)  # a queryset update: the audited action refreshes the row
    assert _row(course).signed_sessions == 1
    record_nprs(course, 7, "interim", alice)
    _sign_one(course, 2, alice)
    record_nprs(course, 5, "review", alice)
    row = _row(course)
    assert (row.has_follow_up, row.first_mcid_session, row.signed_sessions) == (True, 2, 2)
    _same_figures(_filters(course.clinic, review_session=2))


def test_a_change_of_the_course_moves_its_row(course, alice):
    record_nprs(course, 8, "intake", alice)
    course.condition_id = "low_back_pain"
    course.started_on = course.started_on - datetime.timedelta(days=30)
    course.save()
    row = _row(course)
    assert (row.condition_id, row.started_on) == ("low_back_pain", course.started_on)
    _same_figures(_filters(course.clinic, condition="low_back_pain"))


def test_a_clinic_instrument_change_recomputes_its_rows(course, alice, olivia):
    scoring = load_knowledge().clinic_scoring["odi"].model_dump(mode="json")
    questionnaire = json.loads(
        (
            Path(__file__).parents[1]
            / "knowledge/fixtures/placeholder_disability_questionnaire.json"
        ).read_text()
    )
    instrument_row = outcome_actions.import_clinic_instrument(
        clinic=course.clinic, questionnaire=questionnaire, scoring=scoring, by=olivia
    )
    for total, timepoint, number in ((60.0, "intake", 0), (48.0, "review", 3)):
        QuestionnaireResponseFactory(
            patient=course.patient,
            course=course,
            instrument_id="odi",
            answers={},
            total=total,
            timepoint=timepoint,
            session_number=number,
        )
    assert _row(course, "odi").first_mcid_session == 3  # 60 -> 48: the MCID of 10
    instrument_row.scoring = {**scoring, "mcid": 15.0}
    instrument_row.save()
    row = _row(course, "odi")
    assert (row.mcid, row.first_mcid_session) == (15.0, None)
    instrument_row.is_active = False
    instrument_row.save()
    assert not CourseOutcome.objects.filter(course=course, instrument_id="odi").exists()


def test_rows_of_another_mcid_are_recomputed_before_they_are_counted(course, alice, caplog):
    """After an upgrade that changed an MCID, the page counts rows of the current definition
    (and says in the log that the rebuild was missed), never an error for the clinic admin."""
    record_nprs(course, 8, "intake", alice)
    f = _filters(course.clinic)
    current = _row(course, f.instrument.id).mcid
    CourseOutcome.objects.filter(course=course).update(mcid=current + 1.5)
    assert grouped_rows(f)[0]["courses"] == 1
    assert _row(course, f.instrument.id).mcid == current
    assert "recomputing" in caplog.text
