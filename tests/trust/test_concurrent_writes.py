"""Concurrent clinicians writing through the real server on SQLite: no "database is locked",
no lost writes, an intact audit chain.

Six writer processes each sign in as a different front-desk user and register patients through
POST /patients/new/ (the real form, session and CSRF) on gunicorn with 3 processes × 2 threads.
"""

import signal
import sqlite3

import pytest

from tests.trust import loadkit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("migrated-data-dir")]

WRITERS = 6
WRITES_EACH = 15


def test_concurrent_writers_lose_nothing_and_never_see_a_locked_database(
    tmp_path, load_database_template
):
    database = loadkit.copy_database(load_database_template, tmp_path / "data")
    port = loadkit.free_port()
    log = tmp_path / "server.log"
    server = loadkit.start_server(tmp_path / "data", port, log)
    try:
        acked, failed = loadkit.collect(loadkit.start_writers(port, WRITERS, WRITES_EACH))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=loadkit.HANG_GUARD_SECONDS)
    server_log = log.read_text()
    print(f"acknowledged {len(acked)} writes, {len(failed)} errors")
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]
    assert failed == []
    assert len(acked) == WRITERS * WRITES_EACH

    conn = sqlite3.connect(database)
    stored = {row[0] for row in conn.execute("SELECT family_name FROM patients_patient")}
    assert set(acked) <= stored, f"lost writes: {sorted(set(acked) - stored)[:10]}"
    numbers = [row[0] for row in conn.execute("SELECT chart_number FROM patients_patient")]
    assert len(numbers) == len(set(numbers)), "two patients got the same chart number"
    events = conn.execute(
        "SELECT count(*) FROM audit_auditevent WHERE action = 'patient.create'"
    ).fetchone()[0]
    assert events == len(stored)
    conn.close()
    verify = loadkit.run_cli(tmp_path / "data", "audit", "verify")
    assert verify.returncode == 0, verify.stderr
