"""The audit trail is append-only at every layer, and tampering breaks the chain."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from imsclinic.audit import chain, triggers
from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.audit.services import record

pytestmark = pytest.mark.django_db


def _events(n, clinic=None):
    return [
        record(by=None, action=f"test.event{i}", clinic=clinic, details={"i": i}) for i in range(n)
    ]


def test_rows_link_by_hash(clinic_a):
    first, second = _events(2, clinic_a)
    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.row_hash
    assert chain.verify(AuditEvent).ok


def test_model_layer_refuses_change_and_delete(clinic_a):
    (event,) = _events(1, clinic_a)
    event.summary = "rewritten"
    with pytest.raises(chain.AppendOnlyError):
        event.save()
    with pytest.raises(chain.AppendOnlyError):
        event.delete()
    with pytest.raises(chain.AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="x")
    with pytest.raises(chain.AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET summary = 'rewritten'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_database_refuses_raw_change_and_delete(clinic_a, sql):
    _events(1, clinic_a)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 1


def _tamper(sql, params):
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_verify_names_the_first_edited_row(clinic_a, capsys):
    events = _events(5, clinic_a)
    _tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["forged", events[2].id])
    result = chain.verify(AuditEvent)
    assert result.first_bad_id == events[2].id
    assert "edited" in result.problem
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert f"row id {events[2].id}" in capsys.readouterr().err


def test_verify_detects_a_removed_row(clinic_a):
    events = _events(4, clinic_a)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    result = chain.verify(AuditEvent)
    assert result.first_bad_id == events[2].id
    assert "removed" in result.problem


def test_verify_passes_an_intact_chain(clinic_a, capsys):
    _events(3, clinic_a)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "audit_auditevent: 3 rows, chain intact" in out
    assert ChartAccess.objects.count() == 0


def test_verify_detects_a_tampered_chart_access_row(client, alice, patient_a, capsys):
    """The access log (who opened which chart) is chained too: an edited username is caught."""
    client.force_login(alice)
    for _ in range(3):
        client.get(f"/patients/{patient_a.uuid}/")
    rows = list(ChartAccess.objects.order_by("id"))
    assert chain.verify(ChartAccess).ok
    _tamper("UPDATE audit_chartaccess SET username = %s WHERE id = %s", ["olivia", rows[1].id])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert f"audit_chartaccess: row id {rows[1].id}" in capsys.readouterr().err
