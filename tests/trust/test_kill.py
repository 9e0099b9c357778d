"""SIGKILL the server mid-load: the database passes its integrity check, the audit chain
verifies, and every write the server acknowledged (302 after registration) is present."""

import os
import signal
import sqlite3

import pytest

from tests.trust import loadkit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("migrated-data-dir")]


def test_killing_the_server_mid_load_loses_no_acknowledged_write(tmp_path, load_database_template):
    database = loadkit.copy_database(load_database_template, tmp_path / "data")
    port = loadkit.free_port()
    server = loadkit.start_server(tmp_path / "data", port, tmp_path / "server.log")
    writers = loadkit.start_writers(port, 4, 200)
    try:
        # Once 40 writes are acknowledged (the writers are still busy: they have 800 to do),
        # kill the master and every worker without warning.
        writers.wait_for_acks(40)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=loadkit.HANG_GUARD_SECONDS)
        acked, failed = loadkit.collect(writers)
    finally:
        writers.kill()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    print(f"acknowledged {len(acked)} writes before the kill; {len(failed)} cut off")
    assert len(acked) >= 40
    assert failed, "the kill should have cut some writer off mid-request"

    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT family_name FROM patients_patient")}
    lost = set(acked) - stored
    assert not lost, f"acknowledged but lost: {sorted(lost)[:10]}"
    # Nothing half-saved: every stored patient has its audit event.
    events = conn.execute(
        "SELECT count(*) FROM audit_auditevent WHERE action = 'patient.create'"
    ).fetchone()[0]
    assert events == len(stored)
    conn.close()
    verify = loadkit.run_cli(tmp_path / "data", "audit", "verify")
    assert verify.returncode == 0, verify.stderr
