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


def _varied_courses(clinic, practitioners, n, seed):
    """`n` active courses with a spread of sessions, scores, review responses and bookings."""
    import random

    from imsclinic.scheduling.models import Appointment
    from tests.factories.patients import PatientFactory

    rng = random.Random(seed)
    names = ["nguyen", "Nguyen", "Åberg", "Zhou", "de Vries", "O'Neil", "Abbott", "abbott"]
    for _ in range(n):
        patient = PatientFactory(clinic=clinic, family_name=rng.choice(names))
        start = timezone.now() - datetime.timedelta(weeks=rng.choice([0, 1, 3, 6, 12, 30]))
        sessions = rng.randint(0, 7)
        course = course_with_sessions(
            patient=patient,
            practitioner=rng.choice(practitioners),
            pains=[(7, 5)] * sessions,
            start=start,
            review_at_session=rng.choice([3, 4, 6]),
        )
        plan = []
        if rng.random() < 0.8:
            plan.append((0, rng.choice(["intake", "interim"]), {"pain": rng.randint(3, 9)}))
        for number in range(1, rng.randint(1, 4)):
            timepoint = rng.choice(["interim", "review", "intake"])
            plan.append((number, timepoint, {"pain": rng.randint(0, 9)}))
        if plan:
            scores(course, "nprs", plan)
        if rng.random() < 0.3:
            psfs = lambda v: {"activity_1": v, "activity_2": v, "activity_3": v}  # noqa: E731
            scores(
                course, "psfs", [(0, "intake", psfs(3)), (2, "interim", psfs(rng.randint(2, 7)))]
            )
        if rng.random() < 0.3:
            scores(course, "pgic", [(sessions, "review", {"change": 2})])
        if rng.random() < 0.3:
            soon = timezone.now() + datetime.timedelta(days=rng.choice([-2, 3]))
            cancelled = rng.random() < 0.3
            Appointment.objects.create(
                clinic=clinic,
                patient=patient,
                practitioner=course.practitioner,
                kind="ims_treatment",
                starts_at=soon,
                ends_at=soon + datetime.timedelta(minutes=30),
                status="cancelled" if cancelled else "booked",
                cancelled_at=timezone.now() if cancelled else None,
            )


def _reference(clinic, practitioner=None):
    """flags_for_clinic as the per-course rules define it: every active course, then sorted."""
    from imsclinic.clinical.models import CourseOfCare

    courses = CourseOfCare.objects.filter(clinic=clinic, status="active")
    if practitioner is not None:
        courses = courses.filter(practitioner=practitioner)
    flagged = []
    for course in courses:
        flags = load_course_data(course).flags
        if flags:
            flagged.append((course.pk, [(f.kind, f.label, f.detail) for f in flags]))
    names = dict(CourseOfCare.objects.values_list("pk", "patient__family_name"))
    flagged.sort(key=lambda item: (-len(item[1]), names[item[0]]))
    return flagged


def _shown(flagged):
    return [
        (item["course"].pk, [(f.kind, f.label, f.detail) for f in item["flags"]])
        for item in flagged
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clinic_flags_equal_the_per_course_rules_on_varied_courses(alice, clinic_a, seed):
    from tests.factories.accounts import MembershipFactory, UserFactory

    other = UserFactory(username="other")
    MembershipFactory(user=other, clinic=clinic_a, role="practitioner")
    _varied_courses(clinic_a, [alice, other], 40, seed)
    expected = _reference(clinic_a)
    assert {kind for _pk, flags in expected for kind, *_ in flags} == {
        "no_change",
        "review_due",
        "dropout",
    }, "the data exercise every rule"
    assert _shown(flags_for_clinic(clinic_a, limit=1000)) == expected
    assert _shown(flags_for_clinic(clinic_a, limit=5)) == expected[:5]
    assert _shown(flags_for_clinic(clinic_a, practitioner=alice)) == _reference(clinic_a, alice)


def test_clinic_flags_follow_the_clinic_policy(alice, clinic_a):
    clinic_a.policies = {"course_rules": {"no_change_session": 2, "dropout_weeks": 1}}
    clinic_a.save()
    _varied_courses(clinic_a, [alice], 25, 4)
    assert _shown(flags_for_clinic(clinic_a, limit=1000)) == _reference(clinic_a)


def test_clinic_flags_take_a_constant_number_of_queries(alice, clinic_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            flagged = flags_for_clinic(clinic_a, limit=3)
        return len(ctx), len(flagged)

    _varied_courses(clinic_a, [alice], 6, 5)
    few = count()
    _varied_courses(clinic_a, [alice], 30, 6)
    many = count()
    assert few[0] == many[0] and many[1] == 3


def test_clinic_flags_follow_bookings_moves_cancellations_no_shows_and_the_clock(
    alice, bob, clinic_a
):
    """The Today query reads the maintained latest booked start (scheduling/booked.py); after
    every kind of scheduling write, and as time passes, it still agrees with the per-course rules
    (which search the appointments)."""
    import time_machine

    from imsclinic.scheduling import actions
    from imsclinic.scheduling.availability import local_datetime
    from imsclinic.scheduling.models import Kind, Status
    from tests.factories.scheduling import AppointmentFactory, weekdays_open

    def at(days, hour):
        day = clinic_a.today() + datetime.timedelta(days=days)
        return local_datetime(day, datetime.time(hour), clinic_a.tz)

    def agree():
        expected = _reference(clinic_a)
        assert _shown(flags_for_clinic(clinic_a, limit=1000)) == expected
        return {pk for pk, flags in expected if any(kind == "dropout" for kind, *_ in flags)}

    weekdays_open(alice, clinic_a)
    _varied_courses(clinic_a, [alice], 30, 7)
    from imsclinic.clinical.models import CourseOfCare

    dropped = agree()
    one, two, three = (
        CourseOfCare.objects.select_related("patient").get(pk=pk).patient
        for pk in sorted(dropped)[:3]
    )
    course_of = {p.pk: CourseOfCare.objects.get(patient=p).pk for p in (one, two, three)}

    single = actions.book_appointment(
        clinic=clinic_a,
        patient=one,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=at(5, 9),
        by=bob,
        notify=False,
    )
    assert course_of[one.pk] not in agree()

    AppointmentFactory(
        clinic=clinic_a, patient=two, practitioner=alice, status=Status.COMPLETED,
        starts_at=at(-20, 9),
    )  # fmt: skip
    series = actions.book_series(
        clinic=clinic_a,
        patient=two,
        practitioner=alice,
        kind=Kind.IMS_TREATMENT,
        first_starts_at=at(4, 17),
        count=4,
        interval_days=7,
        by=bob,
        notify=False,
    )
    assert course_of[two.pk] not in agree()
    last = series.appointments.order_by("starts_at").last()
    actions.reschedule(appointment=last, starts_at=at(26, 17), by=bob, notify=False)
    agree()

    actions.cancel_appointment(appointment=single, by=bob, reason="Feeling better")
    assert course_of[one.pk] in agree()

    missed = AppointmentFactory(
        clinic=clinic_a, patient=three, practitioner=alice, starts_at=at(6, 9)
    )
    assert course_of[three.pk] not in agree()
    actions.set_status(appointment=missed, status=Status.NO_SHOW, by=alice)
    assert course_of[three.pk] in agree()

    # Time passes: the moved last visit of the series is still to come on day 25, gone on day 30.
    with time_machine.travel(at(25, 12), tick=False):
        assert course_of[two.pk] not in agree()
    with time_machine.travel(at(30, 12), tick=False):
        assert course_of[two.pk] in agree()
