"""Backup and restore with a verified manifest of row counts and content hashes.

`imsclinic backup FILE` writes FILE (the data) and FILE.manifest.json; `imsclinic restore FILE`
loads it and proves the result is identical, table by table.

- SQLite: the sqlite3 online backup API copies a consistent snapshot while the app keeps
  writing (WAL readers are not blocked); the manifest is computed from the copy itself.
- PostgreSQL: pg_dump -Fc inside an exported snapshot, and the manifest is computed in the same
  REPEATABLE READ snapshot, so both describe the same instant. Restore runs pg_restore.

A table's hash is SHA-256 over its rows ordered by every column, so it is independent of physical
order and of which connection reads it. A mismatch anywhere raises BackupError naming the tables.
"""

import datetime
import hashlib
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
FORMAT_VERSION = 1
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

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "engine": self.engine,
                "created_at": self.created_at,
                "tables": self.tables,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise BackupError(f"No manifest at {path}: cannot verify this backup.") from exc
        except json.JSONDecodeError as exc:
            raise BackupError(f"The manifest {path} is not valid JSON: {exc}") from exc
        if data.get("format") != FORMAT_VERSION:
            raise BackupError(f"Unknown manifest format {data.get('format')!r} in {path}.")
        return cls(engine=data["engine"], tables=data["tables"], created_at=data["created_at"])

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


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


def sqlite_manifest(path: Path, progress=None) -> Manifest:
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
        return Manifest(engine="sqlite", tables=tables, created_at=_now())
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


def _sqlite_copy(source: Path, target: Path, progress=None, description="Copying") -> None:
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


def backup_sqlite(database: Path, destination: Path, progress=None) -> Manifest:
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        partial = Path(scratch) / "partial.sqlite3"
        _sqlite_copy(Path(database), partial, progress, "Copying database")
        # The copy keeps the source's WAL mode; a backup file should be one self-contained file.
        conn = sqlite3.connect(str(partial))
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        _sqlite_check(partial)
        manifest = sqlite_manifest(partial, progress)
        os.replace(partial, destination)  # atomic: never a half-written backup under FILE
    manifest_path(destination).write_text(manifest.to_json())
    return manifest


def restore_sqlite(backup: Path, database: Path, progress=None) -> Manifest:
    backup, database = Path(backup), Path(database)
    expected = Manifest.load(manifest_path(backup))
    if expected.engine != "sqlite":
        raise BackupError(f"This is a {expected.engine} backup; the database here is SQLite.")
    _sqlite_check(backup)
    found = sqlite_manifest(backup, progress)
    problems = compare(expected, found)
    if problems:
        raise BackupError("The backup file does not match its manifest: " + "; ".join(problems))
    database.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(backup, database, progress, "Restoring")
    conn = sqlite3.connect(str(database))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    _sqlite_check(database)
    actual = sqlite_manifest(database, progress)
    problems = compare(expected, actual)
    if problems:
        raise BackupError("The restored database differs from the backup: " + "; ".join(problems))
    return actual


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


def pg_manifest(cursor, progress=None) -> Manifest:
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
    return Manifest(engine="postgresql", tables=tables, created_at=_now())


def _pg_connect(db: dict):
    import psycopg

    return psycopg.connect(
        dbname=db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=False,
    )


def backup_postgresql(db: dict, destination: Path, progress=None) -> Manifest:
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
        manifest = pg_manifest(cursor, progress)
        conn.rollback()
    os.replace(partial, destination)
    manifest_path(destination).write_text(manifest.to_json())
    return manifest


def restore_postgresql(backup: Path, db: dict, progress=None) -> Manifest:
    backup = Path(backup)
    expected = Manifest.load(manifest_path(backup))
    if expected.engine != "postgresql":
        raise BackupError(f"This is a {expected.engine} backup; the database here is PostgreSQL.")
    pg_restore = _pg_tool("pg_restore")
    advance = progress("pg_restore", 1) if progress else None
    result = subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--clean",
            "--if-exists",
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
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    if advance:
        advance(1)
    with _pg_connect(db) as conn, conn.cursor() as cursor:
        actual = pg_manifest(cursor, progress)
        conn.rollback()
    problems = compare(expected, actual)
    if problems:
        raise BackupError("The restored database differs from the backup: " + "; ".join(problems))
    return actual
