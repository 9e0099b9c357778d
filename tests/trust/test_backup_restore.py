"""Backup → restore round-trips the demo data identically, and a damaged backup is refused.

SQLite runs always; PostgreSQL runs when the suite itself runs on PostgreSQL (DATABASE_URL).
The commands are run as a person would (`python -m imsclinic.cli backup/restore`), against the
test database the demo was written to.
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from imsclinic.audit import chain
from imsclinic.audit.models import AuditEvent
from imsclinic.core import backup
from imsclinic.patients.actions import create_patient
from imsclinic.patients.models import Patient
from imsclinic.web.demo import build_demo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def cli(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def demo_data():
    build_demo(patients=20, seed=3)
    assert Patient.objects.count() == 20
    return Patient.objects.count()


def sqlite_env(path):
    return {"IMSCLINIC_SQLITE_PATH": str(path), "IMSCLINIC_DATA_DIR": str(path.parent)}


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite round trip (the PostgreSQL one runs on PostgreSQL)")
    return connection.settings_dict["NAME"]


def test_sqlite_round_trip_is_identical(tmp_path, sqlite_only, demo_data):
    source = Path(sqlite_only)
    out = tmp_path / "backup.sqlite3"
    made = cli("backup", str(out), env_overrides=sqlite_env(source))
    assert made.returncode == 0, made.stderr
    manifest = json.loads(backup.manifest_path(out).read_text())
    assert manifest["tables"]["patients_patient"]["rows"] == demo_data
    assert manifest["tables"]["audit_auditevent"]["rows"] == AuditEvent.objects.count() > 0

    fresh = tmp_path / "fresh" / "imsclinic.sqlite3"
    restored = cli("restore", str(out), env_overrides=sqlite_env(fresh))
    assert restored.returncode == 0, restored.stderr
    assert "row counts, content hashes and audit chains verified" in restored.stdout
    # Independently of the command's own check: the live database and the restored copy agree.
    live = backup.sqlite_manifest(source)
    again = backup.sqlite_manifest(fresh)
    assert backup.compare(live, again) == []
    assert live.tables == again.tables
    conn = sqlite3.connect(fresh)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM patients_patient").fetchone()[0] == demo_data


def test_restore_refuses_a_tampered_backup(tmp_path, sqlite_only, demo_data):
    out = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(sqlite_only, out)
    conn = sqlite3.connect(out)
    conn.execute(
        "UPDATE patients_patient SET family_name = 'Forged' WHERE id = (SELECT min(id) FROM patients_patient)"
    )
    conn.commit()
    conn.close()
    result = cli("restore", str(out), env_overrides=sqlite_env(tmp_path / "fresh" / "db.sqlite3"))
    assert result.returncode == 1
    assert "patients_patient: same row count but the content differs" in result.stderr


def test_restore_refuses_a_backup_without_manifest(tmp_path, sqlite_only, demo_data):
    out = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(sqlite_only, out)
    backup.manifest_path(out).unlink()
    result = cli("restore", str(out), env_overrides=sqlite_env(tmp_path / "fresh" / "db.sqlite3"))
    assert result.returncode == 1 and "No manifest" in result.stderr


def test_restore_will_not_overwrite_data_without_force(tmp_path, sqlite_only, demo_data):
    out = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(sqlite_only, out)
    result = cli("restore", str(out), env_overrides=sqlite_env(Path(sqlite_only)))
    assert result.returncode == 2 and "already holds data" in result.stderr


def test_sqlite_backup_is_consistent_while_clinicians_keep_writing(
    tmp_path, sqlite_only, demo_data, alice, clinic_a
):
    """The online backup copies a snapshot: whatever was mid-write, counts and hashes agree."""
    stop = threading.Event()
    written = []

    def writer():
        from django.db import connections

        try:
            while not stop.is_set():
                patient = create_patient(
                    clinic=clinic_a,
                    by=alice,
                    fields={
                        "given_name": "During",
                        "family_name": f"Backup{len(written)}",
                        "date_of_birth": "1970-01-01",
                    },
                )
                written.append(patient.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        out = tmp_path / "backup.sqlite3"
        manifest = backup.backup_sqlite(sqlite_only, out)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert written, "the writer should have written during the backup"
    restored = backup.restore_sqlite(out, tmp_path / "restored.sqlite3")
    assert restored.tables == manifest.tables
    # Every patient in the snapshot has its audit event: no half-written action was copied.
    conn = sqlite3.connect(tmp_path / "restored.sqlite3")
    patients = conn.execute(
        "SELECT count(*) FROM patients_patient WHERE given_name = 'During'"
    ).fetchone()[0]
    creates = conn.execute(
        "SELECT count(*) FROM audit_auditevent WHERE action = 'patient.create' "
        "AND actor_username = 'alice'"
    ).fetchone()[0]
    assert patients == creates
    assert chain.verify(AuditEvent).ok


def test_postgresql_round_trip_is_identical(tmp_path, demo_data):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (set DATABASE_URL)")
    import psycopg

    source = dict(connection.settings_dict)
    fresh_name = source["NAME"] + "_restore"
    admin = psycopg.connect(
        dbname="postgres",
        host=source.get("HOST") or None,
        port=source.get("PORT") or None,
        user=source.get("USER") or None,
        password=source.get("PASSWORD") or None,
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{fresh_name}"')
    admin.execute(f'CREATE DATABASE "{fresh_name}"')
    try:
        out = tmp_path / "backup.dump"
        made = backup.backup_postgresql(source, out)
        assert made.tables["patients_patient"]["rows"] == demo_data
        restored = backup.restore_postgresql(out, {**source, "NAME": fresh_name})
        assert restored.tables == made.tables
        # A damaged dump is refused with a clear message.
        out.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
        with pytest.raises(backup.BackupError, match="pg_restore failed"):
            backup.restore_postgresql(out, {**source, "NAME": fresh_name})
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh_name}" WITH (FORCE)')
        admin.close()
