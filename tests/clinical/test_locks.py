"""Signed sessions, needling rows, assessments (and findings) and consents are immutable in the
database itself: a raw UPDATE or DELETE fails on SQLite and on PostgreSQL. Addenda remain the
only correction."""

import pytest
from django.db import IntegrityError, connection, transaction

from imsclinic.clinical import actions
from imsclinic.clinical.models import Assessment, NeedlingRow, TreatmentSession
from tests.factories import (
    AssessmentFactory,
    ConsentFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(patient_a, alice):
    consent = ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    row = NeedlingRowFactory(session=session)
    actions.sign_session(session=session, by=alice)
    assessment = actions.start_assessment(patient=patient_a, by=alice)
    finding = actions.add_finding(
        assessment=assessment, by=alice, muscle_id="gluteus_medius", side="R", grade="tender"
    )
    actions.sign_assessment(assessment=assessment, by=alice)
    return {
        "clinical_treatmentsession": (session.pk, "notes = 'changed'"),
        "clinical_needlingrow": (row.pk, "depth_mm = 99"),
        "clinical_assessment": (assessment.pk, "onset = 'changed'"),
        "clinical_assessmentfinding": (finding.pk, "grade = 'taut'"),
        "clinical_consent": (consent.pk, "signature_name = 'Mickey Mouse'"),
    }


def raw(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


TABLES = [
    "clinical_treatmentsession",
    "clinical_needlingrow",
    "clinical_assessment",
    "clinical_assessmentfinding",
    "clinical_consent",
]


@pytest.mark.parametrize("table", TABLES)
def test_raw_update_of_a_signed_record_fails(signed, table):
    pk, assignment = signed[table]
    with pytest.raises(IntegrityError, match="signed records are locked"):
        raw(f"UPDATE {table} SET {assignment} WHERE id = %s", [pk])  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_raw_delete_of_a_signed_record_fails(signed, table):
    pk, _assignment = signed[table]
    with pytest.raises(IntegrityError, match="signed records are locked"):
        raw(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [pk])  # noqa: S608
        assert cursor.fetchone()[0] == 1


def test_queryset_update_behind_the_record_fails(signed):
    session_pk, _ = signed["clinical_treatmentsession"]
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentSession.objects.filter(pk=session_pk).update(needles_in=0, needles_out=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        NeedlingRow.objects.filter(session_id=session_pk).update(side="L")
    assert TreatmentSession.objects.get(pk=session_pk).needles_in == 6


def test_drafts_stay_editable(patient_a, alice):
    draft = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    row = NeedlingRowFactory(session=draft)
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    raw("UPDATE clinical_treatmentsession SET notes = 'x' WHERE id = %s", [draft.pk])
    raw("UPDATE clinical_needlingrow SET depth_mm = 31 WHERE id = %s", [row.pk])
    raw("DELETE FROM clinical_needlingrow WHERE id = %s", [row.pk])
    raw("UPDATE clinical_assessment SET onset = 'x' WHERE id = %s", [assessment.pk])
    assert Assessment.objects.get(pk=assessment.pk).onset == "x"


def test_consent_can_be_withdrawn_once_and_nothing_else(patient_a, alice):
    consent = ConsentFactory(patient=patient_a, explained_by=alice)
    actions.withdraw_consent(consent=consent, by=alice, reason="Changed her mind")
    with pytest.raises(IntegrityError, match="signed records are locked"):
        raw("UPDATE clinical_consent SET withdrawal_reason = 'edited' WHERE id = %s", [consent.pk])
    with pytest.raises(IntegrityError, match="signed records are locked"):
        raw(
            "UPDATE clinical_consent SET withdrawn_at = NULL, withdrawn_by_id = NULL WHERE id = %s",
            [consent.pk],
        )
