"""Signing records a hash of the signed content; `audit verify` names any signed record that
changed afterwards, even when the change went around the application (raw SQL on the database)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from imsclinic.audit import signed_content
from imsclinic.audit.models import AuditEvent
from imsclinic.clinical import actions
from imsclinic.clinical.actions.consent import record_consent
from tests.factories import ConsentFactory, NeedlingRowFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def drop_row_lock_triggers(table):
    """Another layer may lock signed rows with database triggers; an attacker with the database
    drops them first. Works whether or not such triggers exist (the test rolls back after)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')


@pytest.fixture
def signed_session(patient_a, alice):
    ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, session_number=1)
    NeedlingRowFactory(session=session, muscle_id="gluteus_medius", side="R")
    NeedlingRowFactory(session=session, muscle_id="piriformis", side="R", depth_mm=Decimal(50))
    return actions.sign_session(session=session, by=alice)


def _verify(capsys):
    try:
        call_command("audit", "verify")
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    return code, capsys.readouterr().err


def test_signing_records_the_content_hash(signed_session):
    event = AuditEvent.objects.get(action="session.sign", target_id=str(signed_session.uuid))
    assert event.content_hash == signed_content.content_hash(signed_session)
    assert len(event.content_hash) == 64


def test_verify_names_an_edited_signed_needling_row(signed_session, capsys):
    assert _verify(capsys)[0] == 0
    row = signed_session.needling_rows.order_by("order").first()
    drop_row_lock_triggers("clinical_needlingrow")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clinical_needlingrow SET depth_mm = 90 WHERE id = %s", [row.id])
    code, err = _verify(capsys)
    assert code == 1
    assert f"treatment session {signed_session.uuid}: signed by audit event session.sign" in err
    assert "has changed since it was signed" in err


def test_verify_names_a_removed_signed_row_and_an_edited_session(signed_session, capsys):
    drop_row_lock_triggers("clinical_needlingrow")
    drop_row_lock_triggers("clinical_treatmentsession")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM clinical_needlingrow WHERE session_id = %s AND muscle_id = 'piriformis'",
            [signed_session.pk],
        )
    code, err = _verify(capsys)
    assert code == 1 and f"treatment session {signed_session.uuid}" in err


def test_assessment_and_consent_signatures_are_hashed_too(patient_a, alice, capsys):
    consent = record_consent(
        patient=patient_a,
        by=alice,
        signature_name="Patricia Nguyen",
        covers_thorax=False,
        shown_version=1,
    )
    event = AuditEvent.objects.get(action="consent.record", target_id=str(consent.uuid))
    assert event.content_hash == signed_content.content_hash(consent)
    drop_row_lock_triggers("clinical_consent")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinical_consent SET covers_thorax = %s WHERE id = %s", [True, consent.pk]
        )
    code, err = _verify(capsys)
    assert code == 1 and f"consent {consent.uuid}" in err
