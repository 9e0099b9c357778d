"""Backup -> restore round-trips identically; a poisoned or altered backup is refused and the
target database is left untouched (issue 13 finding 4).

SQLite runs always; PostgreSQL runs when the suite itself runs on PostgreSQL (DATABASE_URL).
SQLite commands are run as a person would (`python -m imsclinic.cli backup/restore`) against the
test database; PostgreSQL restores go through the same library function into a separate target.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from imsclinic.audit import anchor, backups
from imsclinic.audit.keys import audit_key
from imsclinic.clinical import actions as clinical
from imsclinic.core import backup
from imsclinic.patients.actions import create_patient
from imsclinic.patients.models import Patient
from imsclinic.web.demo import build_demo
from tests import workers
from tests.factories import ConsentFactory, NeedlingRowFactory, TreatmentSessionFactory

# One worker runs the module, so its restores share one kept reference schema (REFERENCE_DIR).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("backup-restore"),
]

ATTACKER_KEY = b"an attacker's own key, not the clinic's"
# Where the restores of this module keep their reference schema, as on a clinic's server. On
# SQLite it starts from the worker's migrated test database (SEEDED), so the module's restores
# skip the scratch migrate; the forged-reference test migrates afresh and checks that what the
# migrations create equals that seed.
REFERENCE_DIR: list[Path] = []
SEEDED: list[backups.Reference] = []


@pytest.fixture(autouse=True, scope="module")
def _shared_reference_dir(tmp_path_factory, request, django_db_blocker):
    REFERENCE_DIR[:] = [tmp_path_factory.mktemp("restore-reference")]
    SEEDED.clear()
    if connection.vendor == "sqlite":
        template = request.getfixturevalue("migrated_data_dir_template") / "imsclinic.sqlite3"
        copy = tmp_path_factory.mktemp("reference-seed") / "imsclinic.sqlite3"
        shutil.copyfile(template, copy)
        with django_db_blocker.unblock(), override_settings(RESTORE_REFERENCE_DIR=REFERENCE_DIR[0]):
            reference = backups.sqlite_reference(copy, connection.settings_dict)
            backups.keep_reference(backups.code_fingerprint("sqlite"), reference)
        SEEDED.append(reference)
    yield


def cli(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env["IMSCLINIC_AUDIT_KEY"] = audit_key().decode()
    env["IMSCLINIC_RESTORE_REFERENCE_DIR"] = str(REFERENCE_DIR[0])
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )


def sqlite_env(path):
    return {
        "IMSCLINIC_SQLITE_PATH": str(path),
        "IMSCLINIC_DATA_DIR": str(path.parent),
        "IMSCLINIC_AUDIT_ANCHOR_PATH": str(path.parent / "anchor.json"),
    }


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite (the PostgreSQL variant runs on PostgreSQL)")
    return Path(connection.settings_dict["NAME"])


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (set DATABASE_URL)")
    return dict(connection.settings_dict)


@pytest.fixture
def clinic_data(alice, bob, patient_a, client):
    """A signed session with needling rows, access-log rows, and bob at the front desk."""
    ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, session_number=1)
    NeedlingRowFactory(session=session, muscle_id="gluteus_medius", side="R")
    signed = clinical.sign_session(session=session, by=alice)
    client.force_login(alice)
    assert client.get(f"/patients/{patient_a.uuid}/").status_code == 200
    return signed


def _drop_triggers_sql(vendor, cursor, table):
    """Drop whatever triggers guard `table` (works whether or not lock triggers exist)."""
    if vendor == "sqlite":
        names = cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
        ).fetchall()
        for (name,) in names:
            cursor.execute(f'DROP TRIGGER "{name}"')
    else:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')


def poison(vendor, cursor, session_pk):
    """What an attacker with the database does before a restore."""
    _drop_triggers_sql(vendor, cursor, "audit_chartaccess")
    if vendor == "sqlite":
        cursor.execute(
            "CREATE TRIGGER erase_access AFTER INSERT ON audit_chartaccess "
            "BEGIN DELETE FROM audit_chartaccess WHERE id = NEW.id; END"
        )
    else:
        cursor.execute(
            "CREATE FUNCTION erase_access() RETURNS trigger AS $$ BEGIN "
            "DELETE FROM audit_chartaccess WHERE id = NEW.id; RETURN NULL; END $$ "
            "LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER erase_access AFTER INSERT ON audit_chartaccess "
            "FOR EACH ROW EXECUTE FUNCTION erase_access()"
        )
    cursor.execute("UPDATE accounts_user SET is_superuser = TRUE WHERE username = 'bob'")
    _drop_triggers_sql(vendor, cursor, "clinical_treatmentsession")
    placeholder = "?" if vendor == "sqlite" else "%s"
    cursor.execute(
        f"UPDATE clinical_treatmentsession SET notes = 'forged' WHERE id = {placeholder}",  # noqa: S608
        [session_pk],
    )


def poison_sqlite_file(path, session_pk):
    conn = sqlite3.connect(path)
    poison("sqlite", conn.cursor(), session_pk)
    conn.commit()
    conn.close()


def assert_all_named(problems_text, session):
    assert (
        "trigger erase_access on audit_chartaccess is not created by the migrations"
        in (problems_text)
        or "trigger audit_chartaccess.erase_access is not created by the migrations"
        in problems_text
    )
    assert "user bob is a superuser in the backup but was not one in the source" in problems_text
    assert f"treatment session {session.uuid}" in problems_text
    assert "has changed since it was signed" in problems_text


def fingerprint(path: Path) -> tuple:
    """The target file's bytes and what lies beside it."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(
        p.name for p in path.parent.iterdir()
    )


@pytest.fixture
def sqlite_target(tmp_path):
    """An existing database the restore is asked to replace (with --force)."""
    target = tmp_path / "target" / "imsclinic.sqlite3"
    target.parent.mkdir()
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE marker (note TEXT)")
    conn.execute("INSERT INTO marker VALUES ('the clinic database before the restore')")
    conn.commit()
    conn.close()
    return target


# --- SQLite --------------------------------------------------------------------------------


def test_sqlite_round_trip_is_identical_and_ships_the_anchor(tmp_path, sqlite_only, clinic_data):
    build_demo(patients=5, seed=3)
    out = tmp_path / "backup.sqlite3"
    made = cli("backup", str(out), env_overrides=sqlite_env(sqlite_only))
    assert made.returncode == 0, made.stderr
    manifest = json.loads(backup.manifest_path(out).read_text())
    assert manifest["tables"]["patients_patient"]["rows"] == Patient.objects.count()
    assert manifest["mac"] and manifest["extra"]["superusers"] == []
    shipped = anchor.read(backups.anchor_file(out))
    assert shipped == manifest["extra"]["audit_heads"] and shipped

    fresh = tmp_path / "fresh" / "imsclinic.sqlite3"
    restored = cli("restore", str(out), env_overrides=sqlite_env(fresh))
    assert restored.returncode == 0, restored.stderr
    assert "audit chains, signed records, schema and superusers verified" in restored.stdout
    live, again = backup.sqlite_manifest(sqlite_only), backup.sqlite_manifest(fresh)
    assert backup.compare(live, again) == []
    beside = sorted(p.name for p in fresh.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert beside == ["anchor.json", "imsclinic.sqlite3"]
    verified = cli("audit", "verify", env_overrides=sqlite_env(fresh))
    assert verified.returncode == 0, verified.stderr


def test_restore_refuses_a_poisoned_backup_and_leaves_the_target_untouched(
    tmp_path, sqlite_only, clinic_data, sqlite_target
):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    poison_sqlite_file(out, clinic_data.pk)
    before = fingerprint(sqlite_target)

    # 1. The attacker re-describes the poisoned file with the project's own code, without our key.
    genuine = backup.manifest_path(out).read_text()
    forged = backup.sqlite_manifest(out, describe=backups.describe)
    backup.write_manifest(out, forged, ATTACKER_KEY)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1
    assert "not authenticated by this installation's audit key" in result.stderr
    assert "Traceback" not in result.stderr
    assert fingerprint(sqlite_target) == before

    # 2. With the genuine manifest, every kind of poison is found and named.
    backup.manifest_path(out).write_text(genuine)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1, result.stdout
    assert "the configured database was not changed" in result.stderr
    assert_all_named(result.stderr, clinic_data)
    assert "accounts_user: same row count but the content differs" in result.stderr
    assert "trigger audit_chartaccess_no_delete on audit_chartaccess is missing" in result.stderr
    assert fingerprint(sqlite_target) == before


def test_restore_refuses_a_backup_of_a_poisoned_database(
    tmp_path, sqlite_only, clinic_data, sqlite_target
):
    """The manifest is genuine, but the source was poisoned before the backup: the checks against
    the migrations and the signed content still refuse it."""
    source_copy = tmp_path / "source.sqlite3"
    backup.backup_sqlite(sqlite_only, source_copy, key=audit_key())
    poison_sqlite_file(source_copy, clinic_data.pk)
    out = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(source_copy, out, key=audit_key(), describe=backups.describe)
    before = fingerprint(sqlite_target)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1, result.stdout
    assert "trigger erase_access on audit_chartaccess is not created by the migrations" in (
        result.stderr
    )
    assert f"treatment session {clinic_data.uuid}" in result.stderr
    assert fingerprint(sqlite_target) == before


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"format": 2, "engine": "sqlite"}', "", '{"format": 2, "tables": 5}'],
)
def test_a_malformed_manifest_is_one_line_without_traceback(
    tmp_path, sqlite_only, clinic_data, sqlite_target, content
):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    backup.manifest_path(out).write_text(content)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Restore failed; the configured database was not changed:")


def test_a_damaged_backup_file_is_one_line_and_the_target_untouched(
    tmp_path, sqlite_only, clinic_data, sqlite_target
):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    out.write_bytes(b"not a database at all" * 100)
    before = fingerprint(sqlite_target)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1
    assert "is not a readable SQLite database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fingerprint(sqlite_target) == before


def test_restore_refuses_a_backup_without_manifest(tmp_path, sqlite_only, clinic_data):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    backup.manifest_path(out).unlink()
    result = cli("restore", str(out), env_overrides=sqlite_env(tmp_path / "fresh" / "db.sqlite3"))
    assert result.returncode == 1 and "No manifest" in result.stderr


def test_restore_will_not_overwrite_data_without_force_and_keeps_the_old_one_with_it(
    tmp_path, sqlite_only, clinic_data, sqlite_target
):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    result = cli("restore", str(out), env_overrides=sqlite_env(sqlite_only))
    assert result.returncode == 2 and "already holds data" in result.stderr
    before_bytes = sqlite_target.read_bytes()
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 0, result.stderr
    kept = [p for p in sqlite_target.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == before_bytes
    conn = sqlite3.connect(sqlite_target)
    assert conn.execute("SELECT count(*) FROM patients_patient").fetchone()[0] == 1


def test_a_restore_keeps_the_reference_and_the_next_one_reuses_it(
    tmp_path, sqlite_only, clinic_data
):
    out = tmp_path / "backup.sqlite3"
    backups.make_backup(out)
    first = tmp_path / "first" / "imsclinic.sqlite3"
    assert cli("restore", str(out), env_overrides=sqlite_env(first)).returncode == 0
    (kept,) = REFERENCE_DIR[0].iterdir()  # seeded, or made by an earlier restore
    stored = json.loads(kept.read_text())
    assert kept.name.startswith("reference-") and stored["mac"]
    assert any("audit_chartaccess" in name for name in stored["reference"]["objects"])

    # A second restore by the same code reads the kept file (a fresh migrate would replace it).
    inode = kept.stat().st_ino
    second = tmp_path / "second" / "imsclinic.sqlite3"
    assert cli("restore", str(out), env_overrides=sqlite_env(second)).returncode == 0
    assert [p.name for p in REFERENCE_DIR[0].iterdir()] == [kept.name]
    assert kept.stat().st_ino == inode
    assert backup.compare(backup.sqlite_manifest(sqlite_only), backup.sqlite_manifest(second)) == []


def test_a_reference_forged_without_the_key_is_ignored_and_the_poison_still_named(
    tmp_path, sqlite_only, clinic_data, sqlite_target, settings
):
    """Someone who can write the reference folder, but lacks the audit key, writes a reference
    that lists their trigger as one the migrations create. The restore ignores it (its MAC does
    not hold), migrates afresh and still refuses the poisoned backup."""
    settings.RESTORE_REFERENCE_DIR = REFERENCE_DIR[0]
    source_copy = tmp_path / "source.sqlite3"
    backup.backup_sqlite(sqlite_only, source_copy, key=audit_key())
    poison_sqlite_file(source_copy, clinic_data.pk)
    out = tmp_path / "backup.sqlite3"
    backup.backup_sqlite(source_copy, out, key=audit_key(), describe=backups.describe)

    code = backups.code_fingerprint("sqlite")
    forged = backups.Reference(
        backup.sqlite_schema_objects(source_copy), {("audit", "0001_initial")}
    ).to_json()
    path = backups._reference_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"reference": forged, "mac": backups._reference_mac(ATTACKER_KEY, code, forged)})
    )
    assert backups.cached_reference(code) is None
    before = fingerprint(sqlite_target)
    result = cli("restore", "--force", str(out), env_overrides=sqlite_env(sqlite_target))
    assert result.returncode == 1, result.stdout
    assert "trigger erase_access on audit_chartaccess is not created by the migrations" in (
        result.stderr
    )
    assert fingerprint(sqlite_target) == before
    # The genuine reference, MAC'd with the installation's key, replaced the forged one; it is
    # what the module's other restores were seeded with (the test database's migrate).
    genuine = backups.cached_reference(code)
    assert genuine is not None
    assert (genuine.objects, genuine.migrations) == (SEEDED[0].objects, SEEDED[0].migrations)


def test_sqlite_backup_is_consistent_while_clinicians_keep_writing(
    tmp_path, sqlite_only, alice, clinic_a
):
    """The online backup copies a snapshot: whatever was mid-write, counts, hashes and the
    audit heads agree, and the restored copy verifies."""
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
        manifest = backups.make_backup(out).manifest
    finally:
        stop.set()
        thread.join(timeout=30)
    assert written, "the writer should have written during the backup"
    target = tmp_path / "restored" / "imsclinic.sqlite3"
    restored = cli("restore", str(out), env_overrides=sqlite_env(target))
    assert restored.returncode == 0, restored.stderr
    assert backup.sqlite_manifest(target).tables == manifest.tables
    conn = sqlite3.connect(target)
    patients = conn.execute(
        "SELECT count(*) FROM patients_patient WHERE given_name = 'During'"
    ).fetchone()[0]
    creates = conn.execute(
        "SELECT count(*) FROM audit_auditevent WHERE action = 'patient.create' "
        "AND actor_username = 'alice'"
    ).fetchone()[0]
    assert patients == creates


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def pg_target(postgresql_only):
    """A separate existing database the restore is asked to replace."""
    import psycopg

    source = postgresql_only
    name = source["NAME"] + "_target"
    admin = psycopg.connect(
        dbname="postgres",
        host=source.get("HOST") or None,
        port=source.get("PORT") or None,
        user=source.get("USER") or None,
        autocommit=True,
    )

    def drop_all():
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [name + "%"]
        ).fetchall()
        for (db,) in rows:
            admin.execute(f'DROP DATABASE "{db}" WITH (FORCE)')

    drop_all()
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(
        dbname=name,
        host=source.get("HOST") or None,
        port=source.get("PORT") or None,
        user=source.get("USER") or None,
        autocommit=True,
    ) as conn:
        conn.execute("CREATE TABLE marker (note text)")
        conn.execute("INSERT INTO marker VALUES ('the clinic database before the restore')")

    def state():
        databases = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
            [source["NAME"] + "%"],
        ).fetchall()
        with psycopg.connect(
            dbname=name,
            host=source.get("HOST") or None,
            port=source.get("PORT") or None,
            user=source.get("USER") or None,
        ) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
            marker = (
                conn.execute("SELECT note FROM marker").fetchall()
                if (("marker",) in tables)
                else None
            )
        return databases, tables, marker

    yield {**source, "NAME": name}, state
    drop_all()
    admin.close()


def test_postgresql_poisoned_backup_is_refused_and_the_target_untouched(
    tmp_path, clinic_data, pg_target
):
    import psycopg

    target, state = pg_target
    source = dict(connection.settings_dict)
    out = tmp_path / "backup.dump"
    backups.make_backup(out)
    genuine_manifest = backup.manifest_path(out).read_text()

    # Poison a copy of the source, dump it, and pair the dump with the genuine manifest.
    poisoned_db = source["NAME"] + "_target_poison"
    backup.pg_create_database(source, poisoned_db)
    problems = backup.restore_postgresql_into(
        out,
        {**source, "NAME": poisoned_db},
        backup.Manifest.load(backup.manifest_path(out), audit_key()),
    )
    assert problems == []
    with (
        psycopg.connect(
            dbname=poisoned_db,
            host=source.get("HOST") or None,
            port=source.get("PORT") or None,
            user=source.get("USER") or None,
            autocommit=True,
        ) as conn,
        conn.cursor() as cursor,
    ):
        poison("postgresql", cursor, clinic_data.pk)
    poisoned = tmp_path / "poisoned.dump"
    backup.backup_postgresql(
        {**source, "NAME": poisoned_db}, poisoned, key=audit_key(), describe=backups.describe
    )
    backup.pg_drop_database(source, poisoned_db)
    before = state()

    env = {
        "DATABASE_URL": backups._pg_url(target, target["NAME"]),
        "IMSCLINIC_DATA_DIR": str(tmp_path),
        "IMSCLINIC_AUDIT_ANCHOR_PATH": str(tmp_path / "anchor.json"),
    }

    # Re-described without our key: refused at the manifest.
    document = json.loads(backup.manifest_path(poisoned).read_text())
    body = {k: v for k, v in document.items() if k != "mac"}
    document["mac"] = backup._mac(body, ATTACKER_KEY)
    backup.manifest_path(poisoned).write_text(json.dumps(document))
    result = cli("restore", "--force", str(poisoned), env_overrides=env)
    assert result.returncode == 1
    assert "not authenticated by this installation's audit key" in result.stderr
    assert state() == before

    # Genuine manifest of the clean source with the poisoned dump: every poison named.
    backup.manifest_path(poisoned).write_text(genuine_manifest)
    result = cli("restore", "--force", str(poisoned), env_overrides=env)
    assert result.returncode == 1, result.stdout
    assert_all_named(result.stderr, clinic_data)
    assert "trigger audit_chartaccess.audit_chartaccess_append_only is missing" in result.stderr
    assert state() == before

    # The clean backup restores, swapping the target out (kept under another name).
    result = cli("restore", "--force", str(out), env_overrides=env)
    assert result.returncode == 0, result.stderr
    databases, tables, marker = state()
    kept = [name for (name,) in databases if "_before_restore_" in name]
    assert len(kept) == 1 and kept[0] in result.stdout
    assert ("patients_patient",) in tables and marker is None
    assert not [name for (name,) in databases if "_restoring_" in name or "_reference_" in name]
