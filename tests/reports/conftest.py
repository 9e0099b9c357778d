"""Courses shared by the report tests (same as tests/outcomes)."""

import pytest

from tests.factories.outcomes import course_with_sessions, scores


@pytest.fixture
def flat_course(alice, patient_a):
    """Four signed sessions; NPRS 7 -> 6 -> 6 (below the MCID of 2): no meaningful change."""
    course = course_with_sessions(
        patient=patient_a,
        practitioner=alice,
        pains=[(7, 5), (7, 5), (6, 5), (7, 6)],
        condition_id="low_back_pain",
        icd10_codes=["M54.5"],
    )
    scores(
        course,
        "nprs",
        [(0, "intake", {"pain": 7}), (2, "interim", {"pain": 6}), (4, "review", {"pain": 6})],
    )
    return course


@pytest.fixture
def improving_course(alice, patient_a):
    """Four signed sessions; NPRS 8 -> 3 and PSFS 2 -> 6: meaningful improvement."""
    course = course_with_sessions(
        patient=patient_a,
        practitioner=alice,
        pains=[(8, 6), (6, 4), (4, 2), (3, 1)],
        condition_id="low_back_pain",
        icd10_codes=["M54.5"],
    )
    scores(
        course,
        "nprs",
        [(0, "intake", {"pain": 8}), (2, "interim", {"pain": 5}), (4, "review", {"pain": 3})],
    )
    psfs = lambda v: {"activity_1": v, "activity_2": v, "activity_3": v}  # noqa: E731
    scores(
        course, "psfs", [(0, "intake", psfs(2)), (2, "interim", psfs(4)), (4, "review", psfs(6))]
    )
    return course
