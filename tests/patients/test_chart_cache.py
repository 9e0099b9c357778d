"""Chart summary sections are cached per patient and never served stale.

Every test runs twice: with the embedded default (per-process memory cache) and with Redis
(Django's RedisCache, the multi-server setting), on this test worker's Redis database.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imsclinic.clinical.actions import set_course_status
from imsclinic.outcomes.actions import record_response
from imsclinic.patients.models import Patient
from tests import workers
from tests.factories import PatientFactory
from tests.factories.outcomes import course_with_sessions

pytestmark = pytest.mark.django_db

BACKENDS = {
    "locmem": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "chart-cache-tests",
    },
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": workers.redis_url(),
        "KEY_PREFIX": "imsclinic-tests",
    },
}


@pytest.fixture(params=sorted(BACKENDS))
def chart_cache(request):
    with override_settings(CACHES={"default": BACKENDS[request.param]}):
        cache.clear()
        yield request.param
        cache.clear()


@pytest.fixture
def chart(clinic_a, alice):
    patient = PatientFactory(clinic=clinic_a, family_name="Cachewell")
    course = course_with_sessions(patient=patient, practitioner=alice, pains=[(7, 4), (6, 3)])
    return patient, course


def _view(client, patient):
    url = reverse("patients:chart", kwargs={"patient_uuid": patient.uuid})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    # The CSRF token is masked afresh on every response; everything else must be identical.
    page = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode())
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return page, len(ctx.captured_queries)


def test_a_second_view_reuses_the_sections_and_shows_the_same_page(
    chart_cache, client, alice, chart
):
    patient, _ = chart
    client.force_login(alice)
    first, cold = _view(client, patient)
    second, warm = _view(client, patient)
    assert "2 of " in first  # sessions done in the Treatment section
    assert second == first
    assert warm < cold, f"{warm} queries warm, {cold} cold"


def test_a_course_put_on_hold_is_shown_at_once(chart_cache, client, alice, chart):
    patient, course = chart
    client.force_login(alice)
    before, _ = _view(client, patient)
    assert "No active course" not in before
    set_course_status(course=course, by=alice, status="on_hold", reason="Travelling")
    after, _ = _view(client, patient)
    assert "No active course" in after


def test_a_questionnaire_recorded_is_shown_at_once(chart_cache, client, alice, chart):
    patient, course = chart
    client.force_login(alice)
    before, _ = _view(client, patient)
    assert "No questionnaires recorded" in before
    record_response(
        patient=patient,
        course=course,
        instrument_id="nprs",
        answers={"pain": 6},
        via="clinic",
        timepoint="intake",
        by=alice,
    )
    after, _ = _view(client, patient)
    assert "No questionnaires recorded" not in after
    assert "NPRS" in after


def test_every_audited_write_about_the_patient_bumps_the_chart_version(alice, chart):
    patient, course = chart
    version = Patient.objects.get(pk=patient.pk).chart_version
    set_course_status(course=course, by=alice, status="on_hold", reason="Travelling")
    assert Patient.objects.get(pk=patient.pk).chart_version == version + 1


def test_the_writers_own_patient_instance_reads_the_new_stamp(alice, chart):
    from imsclinic.audit.services import record

    patient, _ = chart
    version = patient.chart_version
    record(by=alice, action="patient.update", target=patient, patient=patient, summary="Phone")
    assert patient.chart_version == version + 1


def test_another_patients_write_leaves_this_chart_cached(chart_cache, client, alice, chart):
    patient, _ = chart
    other = PatientFactory(clinic=patient.clinic, family_name="Other")
    other_course = course_with_sessions(patient=other, practitioner=alice, pains=[(5, 2)])
    client.force_login(alice)
    _view(client, patient)
    _, warm = _view(client, patient)
    set_course_status(course=other_course, by=alice, status="on_hold", reason="Away")
    _, after_other_write = _view(client, patient)
    assert after_other_write == warm


def test_a_change_of_clinic_settings_renders_the_sections_afresh(
    chart_cache, client, alice, chart, clinic_a
):
    patient, _ = chart
    client.force_login(alice)
    _view(client, patient)
    _, warm = _view(client, patient)
    clinic_a.policies = {**clinic_a.policies, "course_rules": {"no_change_session": 2}}
    clinic_a.save()
    after, fresh = _view(client, patient)
    assert fresh > warm
    assert "No meaningful change by session 2" in after
