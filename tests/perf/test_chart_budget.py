"""The chart summary of a 500-session patient answers in at most 12 queries (issue 14).

Warm: the chart's sections were rendered once under its current version stamp. Cold (the first
view after a write) re-renders the cached sections; its count is bounded too, and must not grow
with the sessions (tests/perf/test_query_counts.py).
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imsclinic.accounts.models import Role
from tests.factories import MembershipFactory, PatientFactory
from tests.factories.outcomes import course_with_sessions

pytestmark = pytest.mark.django_db

CHART_SUMMARY_QUERY_BUDGET = 12


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return ctx.captured_queries


def test_chart_summary_of_500_sessions_within_budget(client, alice, clinic_a):
    MembershipFactory(user=alice, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    patient = PatientFactory(clinic=clinic_a, family_name="Fivehundred")
    course_with_sessions(
        patient=patient, practitioner=alice, pains=[(7 - i % 5, 3 - i % 3) for i in range(500)]
    )
    cache.clear()
    client.force_login(alice)
    url = reverse("patients:chart", kwargs={"patient_uuid": patient.uuid})
    cold = _queries(client, url)
    warm = _queries(client, url)
    print(f"chart summary, 500 sessions: {len(cold)} queries cold, {len(warm)} warm")
    assert len(warm) <= CHART_SUMMARY_QUERY_BUDGET, "\n".join(q["sql"] for q in warm)
