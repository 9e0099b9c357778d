"""Long work never runs inside a write transaction.

A probe wraps the slow step of a real request (WeasyPrint printing a report, building a FHIR
`$everything` bundle while it is sent), runs the real thing, and records what the database connection looked like
meanwhile: not inside an atomic block, no transaction open on PostgreSQL, and on SQLite another
connection could take the write lock at that very moment (before, a PDF held it for its whole
render and froze every chart view of the clinic).
"""

import sqlite3

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.interop import api as fhir_api
from imsclinic.reports import pdf
from tests.factories.outcomes import course_with_sessions, scores
from tests.interop.conftest import fhir_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course(alice, patient_a):
    """Four signed sessions and two questionnaires: a report with tables and charts."""
    course = course_with_sessions(
        patient=patient_a,
        practitioner=alice,
        pains=[(8, 6), (6, 4), (4, 2), (3, 1)],
        condition_id="low_back_pain",
        icd10_codes=["M54.5"],
    )
    scores(course, "nprs", [(0, "intake", {"pain": 8}), (4, "review", {"pain": 3})])
    return course


def database_state() -> dict:
    state = {"in_atomic_block": connection.in_atomic_block}
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            state["another_writer"] = "can write"
        except sqlite3.OperationalError as error:
            state["another_writer"] = str(error)
        finally:
            other.close()
    else:
        from psycopg.pq import TransactionStatus

        raw = connection.connection
        status = raw.info.transaction_status if raw is not None else TransactionStatus.IDLE
        state["transaction"] = status.name
    return state


IDLE = {"in_atomic_block": False, "another_writer": "can write", "transaction": "IDLE"}


def expected(state: dict) -> dict:
    return {key: IDLE[key] for key in state}


class Probe:
    """Calls the real function and notes the database state while it runs."""

    def __init__(self, real):
        self.real = real
        self.states: list[dict] = []

    def __call__(self, *args, **kwargs):
        self.states.append(database_state())
        result = self.real(*args, **kwargs)
        self.states.append(database_state())
        return result


def test_a_report_pdf_is_printed_outside_any_write_transaction(client, alice, course, monkeypatch):
    cache.clear()
    probe = Probe(pdf.write_pdf)
    monkeypatch.setattr(pdf, "write_pdf", probe)
    client.force_login(alice)
    url = reverse(
        "reports:report-pdf",
        args=[course.patient.uuid, course.uuid, "progress"],
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert len(probe.states) == 2, "the PDF was printed once, through the probe"
    for state in probe.states:
        assert state == expected(state)
    assert AuditEvent.objects.filter(action="report.progress.pdf").count() == 1


class StreamProbe:
    """Wraps a generator function: notes the database state when the generator starts and after
    each piece it yields, while the response is being sent."""

    def __init__(self, real):
        self.real = real
        self.states: list[dict] = []

    def __call__(self, *args, **kwargs):
        def pieces():
            self.states.append(database_state())
            for piece in self.real(*args, **kwargs):
                self.states.append(database_state())
                yield piece

        return pieces()


def test_a_fhir_everything_bundle_is_built_outside_any_write_transaction(
    client, alice, course, monkeypatch
):
    probe = StreamProbe(fhir_api.everything_json)
    monkeypatch.setattr(fhir_api, "everything_json", probe)
    client.force_login(alice)
    response = client.get(f"/api/v1/fhir/Patient/{course.patient.uuid}/$everything")
    assert response.status_code == 200
    assert fhir_json(response)["resourceType"] == "Bundle"
    assert len(probe.states) >= 2, "the Bundle was built through the probe, while it was sent"
    for state in probe.states:
        assert state == expected(state)
