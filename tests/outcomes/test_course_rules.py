"""Course rules: no meaningful change by session 4, reassessment due, dropouts."""

import datetime

import pytest
from django.utils import timezone

from imsclinic.outcomes.course import flags_for_clinic, load_course_data
from tests.factories.outcomes import course_with_sessions, scores

pytestmark = pytest.mark.django_db


def kinds(flags):
    return {f.kind for f in flags}


def test_course_with_no_change_by_session_4_is_flagged(flat_course):
    data = load_course_data(flat_course)
    assert data.sessions_done == 4
    flag = next(f for f in data.flags if f.kind == "no_change")
    assert flag.label == "No meaningful change by session 4"
    assert "NPRS 7 → 6 (MCID 2)" in flag.detail


def test_improving_course_is_not_flagged_for_no_change(improving_course):
    data = load_course_data(improving_course)
    assert "no_change" not in kinds(data.flags)
    statuses = {s.instrument.id: s.status for s in data.series}
    assert statuses == {"nprs": "improved", "psfs": "improved"}


def test_no_change_flag_waits_for_session_4(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(7, 6)] * 3)
    scores(course, "nprs", [(0, "intake", {"pain": 7}), (2, "interim", {"pain": 7})])
    assert "no_change" not in kinds(load_course_data(course).flags)


def test_clinic_policy_moves_the_no_change_session(alice, patient_a, clinic_a):
    clinic_a.policies = {"course_rules": {"no_change_session": 3}}
    clinic_a.save()
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(7, 6)] * 3)
    scores(course, "nprs", [(0, "intake", {"pain": 7}), (2, "interim", {"pain": 7})])
    course.clinic.refresh_from_db()
    flags = load_course_data(course).flags
    assert any(f.label == "No meaningful change by session 3" for f in flags)


def test_reassessment_is_prompted_at_the_review_point_until_reviewed(alice, patient_a):
    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[(7, 3)] * 4)
    scores(course, "nprs", [(0, "intake", {"pain": 7}), (2, "interim", {"pain": 3})])
    assert "review_due" in kinds(load_course_data(course).flags)
    scores(course, "pgic", [(4, "review", {"change": 2})])
    assert "review_due" not in kinds(load_course_data(course).flags)


def test_dropout_is_flagged_after_the_configured_weeks_without_a_booking(alice, patient_a):
    start = timezone.now() - datetime.timedelta(weeks=8)
    course = course_with_sessions(
        patient=patient_a, practitioner=alice, pains=[(7, 5), (6, 4)], start=start
    )
    assert "dropout" in kinds(load_course_data(course).flags)


def test_an_upcoming_appointment_clears_the_dropout_flag(alice, patient_a):
    from imsclinic.scheduling.models import Appointment

    start = timezone.now() - datetime.timedelta(weeks=8)
    course = course_with_sessions(
        patient=patient_a, practitioner=alice, pains=[(7, 5), (6, 4)], start=start
    )
    soon = timezone.now() + datetime.timedelta(days=3)
    Appointment.objects.create(
        clinic=patient_a.clinic,
        patient=patient_a,
        practitioner=alice,
        kind="ims_treatment",
        starts_at=soon,
        ends_at=soon + datetime.timedelta(minutes=30),
    )
    assert "dropout" not in kinds(load_course_data(course).flags)


def test_recent_course_is_not_a_dropout(improving_course):
    assert "dropout" not in kinds(load_course_data(improving_course).flags)


def test_clinic_flags_match_the_per_course_rules(
    flat_course, clinic_a, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        flagged = flags_for_clinic(clinic_a)
    assert [item["course"].pk for item in flagged] == [flat_course.pk]
    assert "no_change" in kinds(flagged[0]["flags"])


def test_discharged_course_is_never_flagged(flat_course, alice):
    from imsclinic.outcomes.actions import discharge_course

    discharge_course(course=flat_course, reason="No change after 4 sessions; referred on", by=alice)
    assert load_course_data(flat_course).flags == []
