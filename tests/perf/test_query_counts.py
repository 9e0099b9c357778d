"""No N+1: every page's SQL query count stays the same as a chart grows from 3 to 30 sessions
(and as a clinic grows from 3 to 30 patients for lists and analytics).

A page that lacks a `select_related`/`prefetch_related` shows up here as a count that grows with
the data. A renamed page fails here (its URL name does not resolve), it is never skipped.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from imsclinic.accounts.models import Role
from tests.factories import MembershipFactory, PatientFactory
from tests.factories.outcomes import QuestionnaireResponseFactory, course_with_sessions
from tests.interop.conftest import fhir_json

pytestmark = pytest.mark.django_db


def _chart(patient, practitioner, sessions: int):
    """A course of `sessions` signed sessions (two needling rows each) with outcomes."""
    pains = [(7 - i % 5, 3 - i % 3) for i in range(sessions)]
    course = course_with_sessions(patient=patient, practitioner=practitioner, pains=pains)
    for i in range(sessions):
        QuestionnaireResponseFactory(
            patient=patient,
            course=course,
            answers={"pain": 7 - i % 6},
            completed_at=timezone.now() - datetime.timedelta(days=7 * (sessions - i)),
            session_number=i,
        )
    return course


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(ctx.captured_queries)


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def staff(alice, clinic_a, client):
    # Alice also runs the clinic, so one login reaches analytics too.
    MembershipFactory(user=alice, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    client.force_login(alice)
    return client


@pytest.fixture
def small_and_large(clinic_a, alice):
    """Two patients of the same clinic: one with 3 sessions, one with 30."""
    small = PatientFactory(clinic=clinic_a, family_name="Smallchart")
    large = PatientFactory(clinic=clinic_a, family_name="Largechart")
    _chart(small, alice, 3)
    _chart(large, alice, 30)
    return small, large


CHART_PAGES = [
    "patients:chart",
    "clinical:assessment-tab",
    "clinical:sessions",
    "clinical:course",
    "outcomes:tab",
]


@pytest.mark.parametrize("name", CHART_PAGES)
def test_chart_page_queries_do_not_grow_with_sessions(staff, small_and_large, name):
    small, large = small_and_large
    few = _queries(staff, _url(name, patient_uuid=small.uuid))
    _queries(staff, _url(name, patient_uuid=large.uuid))  # warm per-process caches alike
    many = _queries(staff, _url(name, patient_uuid=large.uuid))
    few = _queries(staff, _url(name, patient_uuid=small.uuid))
    assert many == few, f"{name}: {few} queries with 3 sessions, {many} with 30"


def test_session_detail_queries_do_not_grow_with_needling_rows(staff, small_and_large):
    from imsclinic.clinical.models import NeedlingRow

    small, large = small_and_large
    light = small.treatment_sessions.order_by("session_number").first()
    heavy = large.treatment_sessions.order_by("session_number").first()
    # Give one session many rows (written directly: the fixture's sessions are signed).
    rows = [NeedlingRow(**_row_fields(r), session=heavy, order=i) for i, r in enumerate(range(20))]
    NeedlingRow.objects.bulk_create(rows)
    _queries(staff, _url("clinical:session", session_uuid=heavy.uuid))
    few = _queries(staff, _url("clinical:session", session_uuid=light.uuid))
    many = _queries(staff, _url("clinical:session", session_uuid=heavy.uuid))
    assert many == few, f"session detail: {few} queries with 2 rows, {many} with 22"


def _row_fields(i):
    from decimal import Decimal

    return {
        "muscle_id": "gluteus_medius",
        "side": "R",
        "insertions": 2,
        "depth_mm": Decimal("30"),
        "needle_gauge": "0.30",
    }


def _grow_clinic(clinic, practitioner, patients: int):
    for i in range(patients):
        patient = PatientFactory(clinic=clinic, family_name=f"Smith{i:02d}")
        _chart(patient, practitioner, 2)


@pytest.mark.parametrize(
    ("name", "query"),
    [("patients:list", ""), ("patients:list", "?q=smi"), ("today", ""), ("outcomes:analytics", "")],
)
def test_list_and_analytics_queries_do_not_grow_with_patients(staff, clinic_a, alice, name, query):
    from tests.factories.scheduling import AppointmentFactory

    url = _url(name) + query

    def grow(n):
        _grow_clinic(clinic_a, alice, n)
        # Today lists appointments: book each new patient today.
        for patient in clinic_a.patients.order_by("-id")[:n]:
            start = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=5)
            AppointmentFactory(
                clinic=clinic_a, patient=patient, practitioner=alice, starts_at=start
            )

    grow(3)
    _queries(staff, url)
    few = _queries(staff, url)
    grow(27)
    many = _queries(staff, url)
    assert many == few, f"{name}{query}: {few} queries with 3 patients, {many} with 30"


def test_fhir_everything_queries_do_not_grow_with_sessions(alice, small_and_large, client):
    from imsclinic.gateway.actions import create_personal_token

    small, large = small_and_large
    _, raw = create_personal_token(user=alice, by=alice, name="perf")
    path = "/api/v1/fhir/Patient/{}/$everything"
    headers = {"Authorization": f"Bearer {raw}"}

    def count(patient):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path.format(patient.uuid), headers=headers)
            assert response.status_code == 200
            assert fhir_json(response)["resourceType"] == "Bundle"  # built while it is read
        return len(ctx.captured_queries)

    count(large)
    few = count(small)
    many = count(large)
    assert many == few, f"$everything: {few} queries with 3 sessions, {many} with 30"


def test_the_comparison_catches_an_n_plus_one(small_and_large):
    """The method above is able to fail: a loop that queries per session is caught by it."""
    small, large = small_and_large

    def naive(patient):
        with CaptureQueriesContext(connection) as ctx:
            for session in patient.treatment_sessions.all():
                list(session.needling_rows.all())
        return len(ctx.captured_queries)

    def prefetched(patient):
        with CaptureQueriesContext(connection) as ctx:
            for session in patient.treatment_sessions.prefetch_related("needling_rows"):
                list(session.needling_rows.all())
        return len(ctx.captured_queries)

    assert naive(large) > naive(small)
    assert prefetched(large) == prefetched(small)
