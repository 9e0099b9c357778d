"""Upgrading a database whose trail was chained the old way (one unkeyed SHA-256 chain per table):
migration audit.0004 verifies the old chain, then re-seals it per clinic under the key. A broken
old chain stops the upgrade, naming the row, so that re-sealing never launders tampering."""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from imsclinic.audit import chain
from tests import workers

# One worker builds the old-schema data directory once for both tests, from the migrated
# template that the other tests of the group share.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("migrated-data-dir")]

KEY = "an-audit-key-for-the-upgrade-test-0123456789"


def cli(data_dir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.update(
        IMSCLINIC_DATA_DIR=str(data_dir),
        IMSCLINIC_AUDIT_KEY=KEY,
        IMSCLINIC_AUDIT_ANCHOR_PATH=str(data_dir / "anchor.json"),
    )
    return subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )


def legacy_events(db_path, clinics):
    """Write audit events exactly as the old code chained them."""
    conn = sqlite3.connect(db_path)
    prev = "0" * 64
    for i, clinic_id in enumerate(clinics):
        content = {
            "at": datetime.datetime(2026, 11, 20, 10, 0, i % 10, tzinfo=datetime.UTC),
            "actor_id": None,
            "actor_username": "",
            "clinic_id": clinic_id,
            "action": f"legacy.event{i}",
            "target_type": "",
            "target_id": "",
            "patient_uuid": None,
            "summary": "",
            "details": {"i": i},
            "ip_address": None,
        }
        payload = json.dumps(
            chain.canonical(content), sort_keys=True, separators=(",", ":"), default=str
        )
        row_hash = hashlib.sha256((prev + payload).encode()).hexdigest()
        conn.execute(
            "INSERT INTO audit_auditevent (at, prev_hash, row_hash, actor_id, actor_username, "
            "clinic_id, action, target_type, target_id, patient_uuid, summary, details, "
            "ip_address) VALUES (?, ?, ?, NULL, '', ?, ?, '', '', NULL, '', ?, NULL)",
            [
                f"2026-11-20 10:00:0{i % 10}",
                prev,
                row_hash,
                clinic_id,
                content["action"],
                json.dumps(content["details"]),
            ],
        )
        prev = row_hash
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def old_data_dir(tmp_path_factory, migrated_data_dir_template):
    """A data directory migrated to the latest schema and back to audit 0003, built once for
    the module; each test works on a copy."""
    data_dir = workers.copy_migrated_data_dir(
        migrated_data_dir_template, tmp_path_factory.mktemp("a3")
    )
    back = cli(data_dir, "migrate", "audit", "0003", "--no-input", "-v0")
    assert back.returncode == 0, back.stderr
    return data_dir


@pytest.fixture
def old_database(old_data_dir, tmp_path):
    shutil.copytree(old_data_dir, tmp_path, dirs_exist_ok=True)
    return tmp_path / "imsclinic.sqlite3"


def test_upgrade_reseals_a_sound_old_chain_per_clinic(old_database):
    legacy_events(old_database, [1, 2, None, 1, 1, 2])
    upgraded = cli(old_database.parent, "migrate", "audit", "--no-input", "-v0")
    assert upgraded.returncode == 0, upgraded.stderr
    conn = sqlite3.connect(old_database)
    rows = conn.execute("SELECT action, chain, seq FROM audit_auditevent ORDER BY id").fetchall()
    assert [(chain_id, seq) for _action, chain_id, seq in rows] == [
        (1, 1),
        (2, 1),
        (0, 1),
        (1, 2),
        (1, 3),
        (2, 2),
    ]
    triggers = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
    ).fetchone()[0]
    assert triggers == 4  # the append-only triggers are back after the table rebuilds
    verified = cli(old_database.parent, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "audit events, clinic 1: 3 rows, chain intact" in verified.stdout


def test_upgrade_refuses_to_reseal_a_broken_old_chain(old_database):
    legacy_events(old_database, [1, 1, 1])
    conn = sqlite3.connect(old_database)
    conn.execute("DROP TRIGGER audit_auditevent_no_update")
    conn.execute("UPDATE audit_auditevent SET action = 'forged' WHERE action = 'legacy.event1'")
    bad_id = conn.execute("SELECT id FROM audit_auditevent WHERE action = 'forged'").fetchone()[0]
    conn.commit()
    conn.close()
    upgraded = cli(old_database.parent, "migrate", "audit", "--no-input", "-v0")
    assert upgraded.returncode != 0
    assert f"broken at row id {bad_id}" in upgraded.stderr
