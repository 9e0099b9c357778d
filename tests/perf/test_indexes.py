"""Every list, search and analytics query can use an index (EXPLAIN), on both databases.

On PostgreSQL the plans are taken with enable_seqscan=off: with a handful of test rows the planner
would rightly scan the table, but with sequential scans priced out it still picks a Seq Scan when
no index can serve the query, which is what these tests look for. On SQLite, EXPLAIN QUERY PLAN
must SEARCH (or SCAN a covering index), never SCAN the table itself.
"""

import datetime
import re

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = on")
    return queryset.explain()


def assert_indexed(queryset, table: str):
    text = plan(queryset)
    if connection.vendor == "postgresql":
        assert f"Seq Scan on {table}" not in text, f"no index serves this query:\n{text}"
    else:
        bare = re.search(rf"SCAN {table}(?! USING)", text)
        assert bare is None, f"no index serves this query:\n{text}"
    return text


@pytest.fixture
def patients(clinic_a):
    for name in ("Smith", "Smithers", "Brown", "Nguyen"):
        PatientFactory(clinic=clinic_a, family_name=name, phone="(403) 555-0199")
    return clinic_a


@pytest.mark.parametrize("query", ["smi", "ann smi", "5550199", "1980-01-02"])
def test_patient_search_uses_an_index(patients, query):
    from imsclinic.patients.models import Patient

    queryset = (
        Patient.objects.filter(clinic=patients)
        .search(query)
        .order_by("family_name", "given_name", "id")[:25]
    )
    assert_indexed(queryset, "patients_patient")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL operator classes")
def test_name_prefix_is_an_index_condition_in_a_large_clinic(clinic_a):
    """In a clinic of thousands, "smi" must not filter every row of the clinic (issue 9)."""
    import random

    from imsclinic.patients.models import Patient
    from imsclinic.web.demo import FAMILY_NAMES, GIVEN_NAMES

    rng = random.Random(9)
    batch = []
    for i in range(3000):
        patient = Patient(
            clinic=clinic_a,
            chart_number=f"P{i:06d}",
            given_name=rng.choice(GIVEN_NAMES),
            family_name=rng.choice(FAMILY_NAMES) + str(i),
            date_of_birth=datetime.date(1970, 1, 1),
        )
        patient.refresh_search_keys()
        batch.append(patient)
    Patient.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")
    text = plan(Patient.objects.filter(clinic=clinic_a).search("smi").order_by("family_name")[:25])
    assert "family_name_folded)::text ~>=~" in text, f"the prefix is only a filter:\n{text}"


def test_patient_list_uses_an_index(patients):
    from imsclinic.patients.models import Patient

    queryset = Patient.objects.filter(clinic=patients).order_by("family_name", "given_name", "id")
    assert_indexed(queryset[:25], "patients_patient")


def test_chart_session_queries_use_indexes(patient_a):
    TreatmentSession = pytest.importorskip("imsclinic.clinical.models").TreatmentSession
    NeedlingRow = pytest.importorskip("imsclinic.clinical.models").NeedlingRow

    assert_indexed(
        TreatmentSession.objects.filter(patient=patient_a).order_by("-started_at", "-id")[:50],
        "clinical_treatmentsession",
    )
    assert_indexed(
        NeedlingRow.objects.filter(session__patient=patient_a, session__signed_at__isnull=False),
        "clinical_needlingrow",
    )


def test_clinic_activity_queries_use_indexes(clinic_a):
    from imsclinic.clinical.models import TreatmentSession

    since = timezone.now() - datetime.timedelta(days=90)
    assert_indexed(
        TreatmentSession.objects.filter(clinic=clinic_a, started_at__gte=since),
        "clinical_treatmentsession",
    )


def test_outcome_queries_use_indexes(clinic_a, patient_a):
    models = pytest.importorskip("imsclinic.outcomes.models")
    since = timezone.now() - datetime.timedelta(days=365)
    responses = models.QuestionnaireResponse.objects
    assert_indexed(
        responses.filter(clinic=clinic_a, completed_at__gte=since), "outcomes_questionnaireresponse"
    )
    assert_indexed(
        responses.filter(patient=patient_a, instrument_id="nprs").order_by("completed_at"),
        "outcomes_questionnaireresponse",
    )


def test_today_appointments_use_an_index(clinic_a):
    models = pytest.importorskip("imsclinic.scheduling.models")
    day = clinic_a.today()
    queryset = models.Appointment.objects.for_clinic_day(clinic_a, day)
    assert_indexed(queryset, "scheduling_appointment")


PAGES = [
    ("today", {}, ""),
    ("patients:list", {}, "?q=smi"),
    ("patients:chart", {"patient_uuid": None}, ""),
    ("clinical:sessions", {"patient_uuid": None}, ""),
    ("outcomes:tab", {"patient_uuid": None}, ""),
    ("outcomes:analytics", {}, ""),
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans from PostgreSQL")
@pytest.mark.parametrize(("name", "kwargs", "query"), PAGES)
def test_every_select_of_a_page_can_use_an_index(alice, clinic_a, client, name, kwargs, query):
    """Capture every SELECT a page runs and EXPLAIN it with sequential scans priced out."""
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from imsclinic.accounts.models import Role
    from imsclinic.bench.plans import LARGE_TABLES
    from tests.factories import MembershipFactory
    from tests.factories.outcomes import course_with_sessions

    MembershipFactory(user=alice, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    patient = PatientFactory(clinic=clinic_a, family_name="Smith")
    course_with_sessions(patient=patient, practitioner=alice, pains=[(7, 4), (6, 3), (5, 2)])
    kwargs = {k: patient.uuid if v is None else v for k, v in kwargs.items()}
    url = reverse(name, kwargs=kwargs or None) + query
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in selects:
            cursor.execute("EXPLAIN " + sql)
            text = "\n".join(row[0] for row in cursor.fetchall())
            scanned = {t for t in LARGE_TABLES if f"Seq Scan on {t} " in text + " "}
            if scanned:
                problems.append(f"{sorted(scanned)}: {sql[:240]}")
        cursor.execute("SET LOCAL enable_seqscan = on")
    assert not problems, "queries no index can serve:\n" + "\n".join(problems)
