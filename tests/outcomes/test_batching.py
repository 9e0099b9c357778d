"""outcomes.batching: a run of writes to one course refreshes its outcome rows and priority
columns once, at the end of the block, and never when the block fails."""

import pytest
from django.db import transaction

from imsclinic.clinical.models import CourseOfCare
from imsclinic.outcomes import course_outcomes, priority
from imsclinic.outcomes.batching import one_refresh_per_course
from imsclinic.outcomes.models import CourseOutcome
from tests.factories.outcomes import QuestionnaireResponseFactory, course_with_sessions, scores

pytestmark = pytest.mark.django_db

NPRS = [
    (1, "intake", {"pain": 8}),
    (2, "interim", {"pain": 6}),
    (3, "interim", {"pain": 3}),
]


def outcome_rows(course):
    return sorted(
        CourseOutcome.objects.filter(course=course).values_list(
            "instrument_id", "signed_sessions", "baseline_total", "first_mcid_session"
        )
    )


def priority_columns(course):
    return CourseOfCare.objects.filter(pk=course.pk).values_list(*priority.PRIORITY_COLUMNS).get()


def recomputed(course):
    """What a refresh of the course from its records gives, straight after it."""
    priority.refresh_course_priorities(CourseOfCare.objects.filter(pk=course.pk))
    course_outcomes.refresh_courses(CourseOfCare.objects.filter(pk=course.pk))
    return outcome_rows(course), priority_columns(course)


def test_the_course_is_refreshed_once_when_the_block_ends(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(8, 6)] * 3)
    before = outcome_rows(course), priority_columns(course)
    with one_refresh_per_course():
        scores(course, "nprs", NPRS)
        # Nothing refreshed yet: the rows are still those of the sessions alone.
        assert (outcome_rows(course), priority_columns(course)) == before
    after = outcome_rows(course), priority_columns(course)
    assert after != before
    assert after[0] == [("nprs", 3, 8.0, 2)]  # 8 -> 6 at session 2: the MCID of 2
    assert recomputed(course) == after


def test_each_response_outside_a_block_refreshes_at_once(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(8, 6)] * 3)
    scores(course, "nprs", NPRS[:1])  # a block of its own, ended
    assert outcome_rows(course) == [("nprs", 3, 8.0, None)]

    QuestionnaireResponseFactory(
        patient=patient_a, course=course, answers={"pain": 2}, session_number=3
    )
    assert outcome_rows(course) == [("nprs", 3, 8.0, 3)]


def test_a_failed_block_refreshes_nothing(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(8, 6)] * 3)
    before = outcome_rows(course)
    with pytest.raises(RuntimeError), transaction.atomic():
        with one_refresh_per_course():
            scores(course, "nprs", NPRS)
            raise RuntimeError("the builder failed half-way")
    assert outcome_rows(course) == before


def test_an_inner_block_leaves_the_refresh_to_the_outer_one(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(8, 6)] * 3)
    before = outcome_rows(course)
    with one_refresh_per_course():
        with one_refresh_per_course():
            scores(course, "nprs", NPRS)
        assert outcome_rows(course) == before
    assert outcome_rows(course) == [("nprs", 3, 8.0, 2)]
