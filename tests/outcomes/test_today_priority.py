"""Today reads the maintained course-priority and latest-booking columns: one small query, served
by indexes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imsclinic.clinical.models import CourseOfCare, TreatmentSession
from imsclinic.outcomes.course import flags_for_clinic
from tests.factories import (
    ConsentFactory,
    NeedlingRowFactory,
    PatientFactory,
    TreatmentSessionFactory,
)
from tests.factories.outcomes import course_with_sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(clinic_a, alice):
    for i in range(6):
        patient = PatientFactory(clinic=clinic_a, family_name=f"Prio{i}")
        course_with_sessions(patient=patient, practitioner=alice, pains=[(7, 6)] * (i + 1))
    return clinic_a


def _flags_sql(clinic, **kw):
    with CaptureQueriesContext(connection) as ctx:
        flagged = flags_for_clinic(clinic, limit=25, **kw)
    sql = next(q["sql"] for q in ctx.captured_queries if "clinical_courseofcare" in q["sql"])
    return flagged, sql


def test_the_flags_query_has_no_subquery(courses, alice):
    flagged, sql = _flags_sql(courses)
    assert flagged, "the data has flagged courses"
    # The dropout rule reads the patient's maintained latest booked start (scheduling/booked.py):
    # no nested SELECT, and no search of the appointments for every active course.
    assert sql.count("SELECT") == 1, sql
    assert "scheduling_appointment" not in sql
    assert "outcomes_questionnaireresponse" not in sql
    assert "clinical_treatmentsession" not in sql
    # Only the columns the panel shows: no demographics beyond the name.
    assert "health_card_number" not in sql and "address_line1" not in sql
    _, mine = _flags_sql(courses, practitioner=alice)
    assert mine.count("SELECT") == 1 and "scheduling_appointment" not in mine


def _plan(queryset):
    if connection.vendor == "postgresql":
        # A few rows make every plan cost about the same, and the planner's pick then followed
        # whatever statistics earlier tests had left (CI once chose the practitioner index and
        # sorted). Without a scan of the table or a sort, only an index that serves the filter
        # in the page's order can answer: what these tests are about.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
    return queryset.explain()


def test_active_courses_of_a_practitioner_are_read_by_the_priority_index(courses, alice):
    queryset = CourseOfCare.objects.filter(
        clinic=courses, status="active", practitioner=alice
    ).order_by("-priority")[:25]
    text = _plan(queryset)
    # Either partial index of active courses by priority serves it in order.
    assert "clinical_course_active_prio" in text or "clinical_course_clinic_prio" in text, text


def test_open_drafts_are_read_by_their_partial_index(courses, alice):
    queryset = TreatmentSession.objects.filter(practitioner=alice, signed_at__isnull=True)
    assert "clinical_session_open_drafts" in _plan(queryset)


def test_a_billing_write_leaves_the_priorities_alone_and_a_sign_refreshes_them(
    clinic_a, alice, bob
):
    """Front-desk writes about a patient (an invoice, a booking) cannot change a course's
    priority, so they skip its refresh; signing a session can, and refreshes it."""
    from imsclinic.audit import services
    from imsclinic.clinical import actions as clinical

    patient = PatientFactory(clinic=clinic_a)
    course = course_with_sessions(patient=patient, practitioner=alice, pains=[(7, 6)] * 3)
    with CaptureQueriesContext(connection) as billing:
        services.record(by=bob, action="billing.invoice.create", patient=patient, clinic=clinic_a)
    assert not [q for q in billing.captured_queries if "clinical_courseofcare" in q["sql"]]

    ConsentFactory(patient=patient, explained_by=alice)
    draft = TreatmentSessionFactory(
        patient=patient, practitioner=alice, course=course, session_number=4
    )
    NeedlingRowFactory(session=draft, muscle_id="gluteus_medius", side="R")
    assert CourseOfCare.objects.get(pk=course.pk).signed_session_count == 3
    clinical.sign_session(session=draft, by=alice)
    course.refresh_from_db()
    assert course.signed_session_count == 4
