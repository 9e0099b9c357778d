"""Backup and restore with an authenticated manifest of row counts and content hashes.

`imsclinic backup FILE` writes FILE (the data) and FILE.manifest.json; `imsclinic restore FILE`
loads it into a NEW database, proves the result is identical table by table, and only then swaps
it in (the orchestration, with the audit checks, is imsclinic/audit/backups.py).

The manifest is authenticated with an HMAC under the audit key (passed in by the caller: core
imports no area), so a backup edited and re-described by someone without the key is refused.

- SQLite: the sqlite3 online backup API copies a consistent snapshot while the app keeps
  writing (WAL readers are not blocked); the manifest is computed from the copy itself.
- PostgreSQL: pg_dump -Fc inside an exported snapshot, and the manifest is computed in the same
  REPEATABLE READ snapshot, so both describe the same instant. Restore runs pg_restore.

A table's hash is SHA-256 over its rows ordered by every column, so it is independent of physical
order and of which connection reads it. A mismatch anywhere raises BackupError naming the tables.
"""

import datetime
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404  (pg_dump/pg_restore are run with argument lists, never a shell)
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

MANIFEST_SUFFIX = ".manifest.json"
FORMAT_VERSION = 2
SQLITE_PAGES_PER_STEP = 256


class BackupError(Exception):
    """A backup or restore that cannot be trusted; the message says what differs."""


def manifest_path(path: Path) -> Path:
    return Path(str(path) + MANIFEST_SUFFIX)


def _canonical(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_digest(cursor, table: str, columns: int) -> tuple[int, str]:
    """(row count, sha256) of `table`, rows ordered by all columns."""
    order = ", ".join(str(i) for i in range(1, columns + 1))
    cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608
    digest = hashlib.sha256()
    count = 0
    while True:
        rows = cursor.fetchmany(2000)
        if not rows:
            break
        for row in rows:
            digest.update(json.dumps([_canonical(v) for v in row], default=str).encode())
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


@dataclass
class Manifest:
    engine: str
    tables: dict[str, dict]
    created_at: str = ""
    # What the caller adds about the same snapshot (the audit chain heads, the superusers).
    extra: dict | None = None

    def body(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "engine": self.engine,
            "created_at": self.created_at,
            "tables": self.tables,
            "extra": self.extra or {},
        }

    def to_json(self, key: bytes) -> str:
        body = self.body()
        return json.dumps({**body, "mac": _mac(body, key)}, indent=2, sort_keys=True)

    @classmethod
    def load(cls, path: Path, key: bytes) -> "Manifest":
        """Read and authenticate a manifest. Any fault is a BackupError of one line."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise BackupError(f"No manifest at {path}: cannot verify this backup.") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BackupError(f"The manifest {path} is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise BackupError(f"The manifest {path} is not a backup manifest.")
        if data.get("format") != FORMAT_VERSION:
            raise BackupError(f"Unknown manifest format {data.get('format')!r} in {path}.")
        body = {k: v for k, v in data.items() if k != "mac"}
        if not hmac.compare_digest(str(data.get("mac", "")), _mac(body, key)):
            raise BackupError(
                f"The manifest {path} is not authenticated by this installation's audit key: "
                "the backup or its manifest was altered, or it was made with another key."
            )
        tables, extra = data.get("tables"), data.get("extra")
        if (
            data.get("engine") not in {"sqlite", "postgresql"}
            or not isinstance(tables, dict)
            or not isinstance(extra, dict)
            or not all(
                isinstance(t, dict)
                and isinstance(t.get("rows"), int)
                and isinstance(t.get("sha256"), str)
                for t in tables.values()
            )
        ):
            raise BackupError(f"The manifest {path} is malformed.")
        return cls(
            engine=data["engine"],
            tables=tables,
            created_at=str(data.get("created_at", "")),
            extra=extra,
        )

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def _mac(body: dict, key: bytes) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def write_manifest(destination: Path, manifest: Manifest, key: bytes) -> None:
    manifest_path(destination).write_text(manifest.to_json(key))


def compare(expected: Manifest, actual: Manifest) -> list[str]:
    """Human-readable differences; empty when identical."""
    problems = []
    for table in sorted(set(expected.tables) | set(actual.tables)):
        want, got = expected.tables.get(table), actual.tables.get(table)
        if want is None:
            problems.append(f"{table}: present after restore but not in the backup")
        elif got is None:
            problems.append(f"{table}: missing after restore ({want['rows']} rows expected)")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: {got['rows']} rows, expected {want['rows']}")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"{table}: same row count but the content differs")
    return problems


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_manifest(path: Path, progress=None, describe=None) -> Manifest:
    """Row counts and hashes of every table; `describe(cursor)` adds caller facts (extra)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        names = [row[0] for row in cursor.fetchall()]
        advance = progress("Hashing tables", len(names)) if progress else None
        tables = {}
        for name in names:
            cursor.execute(f"SELECT * FROM {_quote(name)} LIMIT 0")  # noqa: S608
            count, sha = table_digest(cursor, name, len(cursor.description))
            tables[name] = {"rows": count, "sha256": sha}
            if advance:
                advance(1)
        extra = describe(cursor) if describe else {}
        return Manifest(engine="sqlite", tables=tables, created_at=_now(), extra=extra)
    finally:
        conn.close()


def _sqlite_check(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def copy_sqlite(source: Path, target: Path, progress=None, description="Copying") -> None:
    """Copy with the online backup API: a consistent snapshot even while others write."""
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        total = src.execute("PRAGMA page_count").fetchone()[0] or 1
        advance = progress(description, total) if progress else None
        done = [0]

        def on_step(status, remaining, pages):
            if advance:
                copied = pages - remaining
                advance(copied - done[0])
                done[0] = copied

        src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=on_step)
        dst.commit()
    finally:
        src.close()
        dst.close()


def backup_sqlite(
    database: Path, destination: Path, *, key: bytes, describe=None, progress=None
) -> Manifest:
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        partial = Path(scratch) / "partial.sqlite3"
        copy_sqlite(Path(database), partial, progress, "Copying database")
        # The copy keeps the source's WAL mode; a backup file should be one self-contained file.
        conn = sqlite3.connect(str(partial))
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        _sqlite_check(partial)
        manifest = sqlite_manifest(partial, progress, describe)
        os.replace(partial, destination)  # atomic: never a half-written backup under FILE
    write_manifest(destination, manifest, key)
    return manifest


def restore_sqlite_into(backup: Path, scratch: Path, expected: Manifest, progress=None) -> list:
    """Copy the backup into `scratch` (a new file); return how its tables differ from the
    manifest (empty: identical). The caller checks more, then swaps or deletes `scratch`."""
    backup, scratch = Path(backup), Path(scratch)
    if expected.engine != "sqlite":
        raise BackupError(f"This is a {expected.engine} backup; the database here is SQLite.")
    try:
        _sqlite_check(backup)
        copy_sqlite(backup, scratch, progress, "Restoring")
        _sqlite_check(scratch)
        return compare(expected, sqlite_manifest(scratch, progress))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a readable SQLite database ({exc}).") from exc


def sqlite_schema_objects(path: Path) -> dict[str, str]:
    """Triggers and views, by name, with their SQL: what can act on rows besides the app."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('trigger', 'view') ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    return {
        f"{kind} {name} on {table}": " ".join((sql or "").split())
        for kind, name, table, sql in rows
    }


def swap_sqlite(new: Path, target: Path) -> Path | None:
    """Put `new` in place of `target`; keep the old database beside it. Returns its new name."""
    new, target = Path(new), Path(target)
    kept = None
    if target.exists():
        conn = sqlite3.connect(str(target))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            empty = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            conn.close()
    if target.exists() and empty:
        remove_sqlite(target)  # an empty file (opened before by a check) is not worth keeping
    elif target.exists():
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        os.replace(target, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
        Path(str(new) + suffix).unlink(missing_ok=True)
    os.replace(new, target)
    return kept


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    return path


def pg_manifest(cursor, progress=None, describe=None) -> Manifest:
    cursor.execute(
        "SELECT c.relname, count(a.attnum) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema() "
        "GROUP BY c.relname ORDER BY c.relname"
    )
    names = cursor.fetchall()
    advance = progress("Hashing tables", len(names)) if progress else None
    tables = {}
    for name, columns in names:
        count, sha = table_digest(cursor, name, columns)
        tables[name] = {"rows": count, "sha256": sha}
        if advance:
            advance(1)
    extra = describe(cursor) if describe else {}
    return Manifest(engine="postgresql", tables=tables, created_at=_now(), extra=extra)


def _pg_connect(db: dict, *, autocommit: bool = False, dbname: str | None = None):
    import psycopg

    return psycopg.connect(
        dbname=dbname or db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=autocommit,
    )


def backup_postgresql(
    db: dict, destination: Path, *, key: bytes, describe=None, progress=None
) -> Manifest:
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    pg_dump = _pg_tool("pg_dump")
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        partial = destination.with_name(destination.name + ".partial")
        advance = progress("pg_dump", 1) if progress else None
        result = subprocess.run(  # noqa: S603
            [
                pg_dump,
                "-Fc",
                f"--snapshot={snapshot}",
                "--no-owner",
                "-f",
                str(partial),
                db["NAME"],
            ],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        if advance:
            advance(1)
        manifest = pg_manifest(cursor, progress, describe)
        conn.rollback()
    os.replace(partial, destination)
    write_manifest(destination, manifest, key)
    return manifest


def _pg_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_create_database(db: dict, name: str) -> None:
    with _pg_connect(db, autocommit=True, dbname="postgres") as conn:
        conn.execute(f"CREATE DATABASE {_pg_quote(name)}")


def pg_drop_database(db: dict, name: str) -> None:
    with _pg_connect(db, autocommit=True, dbname="postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_pg_quote(name)} WITH (FORCE)")


def pg_database_exists(db: dict, name: str) -> bool:
    with _pg_connect(db, autocommit=True, dbname="postgres") as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def restore_postgresql_into(backup: Path, db: dict, expected: Manifest, progress=None) -> list:
    """pg_restore the backup into the (new, empty) database `db`; return how its tables differ
    from the manifest (empty: identical). The caller checks more, then swaps or drops it."""
    backup = Path(backup)
    if expected.engine != "postgresql":
        raise BackupError(f"This is a {expected.engine} backup; the database here is PostgreSQL.")
    pg_restore = _pg_tool("pg_restore")
    advance = progress("pg_restore", 1) if progress else None
    result = subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            db["NAME"],
            str(backup),
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        message = " ".join(result.stderr.strip().splitlines()[:2])
        raise BackupError(f"pg_restore failed: {message}")
    if advance:
        advance(1)
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        actual = pg_manifest(cursor, progress)
        conn.rollback()
    return compare(expected, actual)


PG_SCHEMA_OBJECTS = {
    "trigger": (
        "SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
    ),
    "function": (
        "SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid)"
        " || ')', pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.prokind IN ('f', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    ),
    "rule": (
        "SELECT schemaname || '.' || tablename || '.' || rulename, definition FROM pg_rules "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    ),
    "event trigger": "SELECT evtname, evtevent || ' ' || evtfoid::regproc::text FROM pg_event_trigger",
    "policy": (
        "SELECT schemaname || '.' || tablename || '.' || policyname, coalesce(qual, '') || "
        "coalesce(with_check, '') FROM pg_policies"
    ),
}


def pg_schema_objects(db: dict) -> dict[str, str]:
    """Triggers, functions, rules, event triggers and row policies, by name, with definitions."""
    found = {}
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        for kind, query in PG_SCHEMA_OBJECTS.items():
            cursor.execute(query)
            for name, definition in cursor.fetchall():
                found[f"{kind} {name}"] = " ".join((definition or "").split())
        conn.rollback()
    return found


def pg_swap(db: dict, new_name: str) -> str | None:
    """Rename `new_name` to the configured database, keeping the old one under another name."""
    target = db["NAME"]
    kept = None
    with _pg_connect(db, autocommit=True, dbname="postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone()
        if exists:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
            kept = f"{target[:40]}_before_restore_{stamp}"
            # The app must be stopped for a restore; end stray sessions so the rename can happen.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [target],
            )
            conn.execute(f"ALTER DATABASE {_pg_quote(target)} RENAME TO {_pg_quote(kept)}")
        conn.execute(f"ALTER DATABASE {_pg_quote(new_name)} RENAME TO {_pg_quote(target)}")
    return kept
