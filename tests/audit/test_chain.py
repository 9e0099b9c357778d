"""The audit trail is append-only at every layer, keyed per clinic, anchored, and tampering fails
`imsclinic audit verify` with the problem named."""

import json
import os
import stat

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from imsclinic.audit import anchor, chain, keys, triggers
from imsclinic.audit.models import AuditEvent, ChainHead, ChartAccess
from imsclinic.audit.services import record

pytestmark = pytest.mark.django_db


def _events(n, clinic=None):
    return [
        record(by=None, action=f"test.event{i}", clinic=clinic, details={"i": i}) for i in range(n)
    ]


def _verify(capsys):
    """Run `imsclinic audit verify`; return (exit code, stdout, stderr)."""
    try:
        call_command("audit", "verify")
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _tamper(sql, params=()):
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def _set_head(model, chain_id, seq, row_hash):
    ChainHead.objects.filter(log=model.LOG, chain=chain_id).update(seq=seq, row_hash=row_hash)


def test_rows_link_by_keyed_hash_within_their_clinic_chain(clinic_a, clinic_b):
    a1, b1, a2, network = (
        record(by=None, action="t", clinic=clinic_a),
        record(by=None, action="t", clinic=clinic_b),
        record(by=None, action="t", clinic=clinic_a),
        record(by=None, action="t"),
    )
    assert (a1.chain, a1.seq, a1.prev_hash) == (clinic_a.pk, 1, chain.GENESIS)
    assert (a2.chain, a2.seq, a2.prev_hash) == (clinic_a.pk, 2, a1.row_hash)
    assert (b1.chain, b1.seq, b1.prev_hash) == (clinic_b.pk, 1, chain.GENESIS)
    assert (network.chain, network.seq) == (0, 1)
    # The seal is an HMAC under the audit key: the same content under another key differs.
    assert chain.compute_hash(a1.prev_hash, a1.hashed_content()) == a1.row_hash
    assert chain.compute_hash(a1.prev_hash, a1.hashed_content(), key=b"guess") != a1.row_hash
    assert all(r.ok for r in chain.verify(AuditEvent))


def test_an_append_reads_no_log_rows(clinic_a, django_assert_max_num_queries):
    """Cheap appends: lock the chain head, insert, move the head (no MAX() or last-row scan)."""
    _events(2, clinic_a)
    with django_assert_max_num_queries(3) as queries:
        record(by=None, action="t", clinic=clinic_a)
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "audit_chainhead" in reads[0] and "audit_auditevent" not in reads[0]


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
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 1


def test_verify_names_the_first_edited_row(clinic_a, capsys):
    events = _events(5, clinic_a)
    _tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["forged", events[2].id])
    code, _out, err = _verify(capsys)
    assert code == 1
    assert f"audit events, clinic {clinic_a.pk}: row 3 (id {events[2].id}) does not match" in err
    assert "re-sealed without the key" in err


def test_verify_detects_a_removed_row(clinic_a, capsys):
    events = _events(4, clinic_a)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    code, _out, err = _verify(capsys)
    assert code == 1
    assert f"rows 2 to 2 are missing (removed) before row 3 (id {events[2].id})" in err


def test_verify_passes_an_intact_chain_and_anchors_it(clinic_a, capsys, settings):
    _events(3, clinic_a)
    code, out, err = _verify(capsys)
    assert code == 0, err
    assert f"audit events, clinic {clinic_a.pk}: 3 rows, chain intact" in out
    heads = anchor.read()
    assert heads[f"events:{clinic_a.pk}"]["seq"] == 3
    document = json.loads(settings.AUDIT_ANCHOR_PATH.read_text())
    assert document["mac"] and document["heads"] == heads


def test_verify_fails_on_a_cut_tail(clinic_a, capsys):
    """Rows removed from the end, head moved back to match: only the anchor can tell."""
    events = _events(5, clinic_a)
    assert _verify(capsys)[0] == 0  # anchors at row 5
    _tamper("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[3].id, events[4].id])
    _set_head(AuditEvent, clinic_a.pk, 3, events[2].row_hash)
    code, _out, err = _verify(capsys)
    assert code == 1
    assert (
        f"audit events, clinic {clinic_a.pk}: the chain ends at row 3 but was anchored at row 5: "
        "rows were cut off the end"
    ) in err
    # A failed verification does not move the anchor back to the cut chain.
    assert anchor.read()[f"events:{clinic_a.pk}"]["seq"] == 5


def test_verify_fails_on_a_chain_rewritten_without_the_key(clinic_a, capsys):
    """An attacker with only the database re-seals a chain from a middle row with the project's
    own code and a key of their own (they do not have ours)."""
    events = _events(5, clinic_a)
    assert _verify(capsys)[0] == 0
    attacker_key = b"not-the-clinic-audit-key"
    prev = events[1].row_hash
    triggers.drop(connection)
    try:
        for event in AuditEvent.objects.filter(pk__in=[e.pk for e in events[2:]]).order_by("seq"):
            event.summary = "rewritten history"
            event.prev_hash = prev
            event.row_hash = chain.compute_hash(prev, event.hashed_content(), key=attacker_key)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE audit_auditevent SET summary = %s, prev_hash = %s, row_hash = %s "
                    "WHERE id = %s",
                    [event.summary, event.prev_hash, event.row_hash, event.pk],
                )
            prev = event.row_hash
    finally:
        triggers.install(connection)
    _set_head(AuditEvent, clinic_a.pk, 5, prev)
    code, _out, err = _verify(capsys)
    assert code == 1
    assert f"row 3 (id {events[2].id}) does not match its seal under the audit key" in err
    assert "row 5 differs from the anchored row: the chain was rewritten" in err


def test_verify_detects_a_tampered_chart_access_row(client, alice, patient_a, capsys):
    """The access log (who opened which chart) is chained too: an edited username is caught."""
    client.force_login(alice)
    for _ in range(3):
        client.get(f"/patients/{patient_a.uuid}/")
    rows = list(ChartAccess.objects.order_by("seq"))
    assert all(r.ok for r in chain.verify(ChartAccess))
    _tamper("UPDATE audit_chartaccess SET username = %s WHERE id = %s", ["olivia", rows[1].id])
    code, _out, err = _verify(capsys)
    assert code == 1
    assert f"access log, clinic {patient_a.clinic_id}: row 2 (id {rows[1].id})" in err


def test_an_altered_anchor_is_refused(clinic_a, capsys, settings):
    _events(2, clinic_a)
    assert _verify(capsys)[0] == 0
    document = json.loads(settings.AUDIT_ANCHOR_PATH.read_text())
    document["heads"][f"events:{clinic_a.pk}"]["seq"] = 1
    settings.AUDIT_ANCHOR_PATH.write_text(json.dumps(document))
    code, _out, err = _verify(capsys)
    assert code == 1
    assert "does not carry a valid seal under the audit key" in err


def test_anchor_command_moves_forward_but_never_over_a_cut_tail(clinic_a, capsys):
    events = _events(3, clinic_a)
    call_command("audit", "anchor")
    assert "Anchored" in capsys.readouterr().out
    _events(2, clinic_a)
    call_command("audit", "anchor")
    assert anchor.read()[f"events:{clinic_a.pk}"]["seq"] == 5
    _tamper("DELETE FROM audit_auditevent WHERE seq > 3 AND chain = %s", [clinic_a.pk])
    _set_head(AuditEvent, clinic_a.pk, 3, events[2].row_hash)
    with pytest.raises(SystemExit):
        call_command("audit", "anchor")
    assert "rows were cut off the end" in capsys.readouterr().err
    assert anchor.read()[f"events:{clinic_a.pk}"]["seq"] == 5


def test_development_key_file_is_created_once_and_private(settings, tmp_path):
    settings.AUDIT_KEY = None
    settings.AUDIT_KEY_PATH = tmp_path / "audit.key"
    first = keys.audit_key()
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(settings.AUDIT_KEY_PATH).st_mode) == 0o600
    keys._cache.clear()
    assert keys.audit_key() == first


def test_configured_key_is_used(settings):
    settings.AUDIT_KEY = "x" * 40
    assert keys.audit_key() == b"x" * 40


@pytest.mark.django_db(transaction=True)
def test_the_server_timer_anchors_through_the_command(clinic_a, settings, monkeypatch):
    """What the gunicorn master runs every IMSCLINIC_AUDIT_ANCHOR_SECONDS."""
    if connection.vendor != "sqlite":
        pytest.skip("The subprocess finds the SQLite test database by its path")
    from imsclinic.audit import anchor_timer

    _events(2, clinic_a)
    monkeypatch.setenv("IMSCLINIC_SQLITE_PATH", connection.settings_dict["NAME"])
    monkeypatch.setenv("IMSCLINIC_AUDIT_ANCHOR_PATH", str(settings.AUDIT_ANCHOR_PATH))
    monkeypatch.setenv("IMSCLINIC_AUDIT_KEY", keys.audit_key().decode())
    logged = []

    class Log:
        def info(self, message, *args):
            logged.append(message % args)

        error = info

    assert anchor_timer.anchor_once(Log())
    assert anchor.read()[f"events:{clinic_a.pk}"]["seq"] == 2
    assert logged and logged[0].startswith("Anchored")
    monkeypatch.setenv("IMSCLINIC_AUDIT_ANCHOR_SECONDS", "0")
    assert anchor_timer.interval_seconds() == 1
