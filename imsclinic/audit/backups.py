"""Backups that carry their audit anchor, and restores that are verified before they replace
anything (the copying and hashing itself is imsclinic/core/backup.py).

Backup: the anchor is moved forward, the database copied, and the manifest (row counts and hashes
of every table, the chain heads of the same snapshot, and the superusers) authenticated with the
audit key. FILE.anchor.json, the sealed anchor of the snapshot, ships beside it.

Restore: the manifest must be authenticated by this installation's audit key. The backup is loaded
into a NEW database (a new SQLite file, or a new PostgreSQL database) and checked there:
  - every table matches the manifest;
  - every chain is intact under the key and ends exactly at the heads the manifest recorded;
  - every signed record still has the content its signing event hashed;
  - no trigger, function, rule, view or policy exists that the migrations do not create (compared
    with a scratch database migrated by this code, in a separate process);
  - no superuser exists that the source did not have.
Only then is it swapped in; the old database is kept beside it. Any failure removes the new
database and leaves the target untouched.
"""

import os
import secrets
import subprocess  # noqa: S404  (runs this program's own migrate with an argument list)
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from imsclinic.audit import anchor, verification
from imsclinic.audit.keys import audit_key
from imsclinic.core import backup as core
from imsclinic.core.backup import BackupError

CHECK_ALIAS = "restore_check"


class RestoreRefused(BackupError):
    """The restored copy failed its checks; `problems` lists each. The target was not touched."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(self.problems))


def anchor_file(path: Path) -> Path:
    return Path(str(path) + ".anchor.json")


def describe(cursor) -> dict:
    """Facts about the snapshot that the manifest authenticates (raw SQL: works on the sqlite3
    copy and inside PostgreSQL's exported snapshot alike)."""
    from imsclinic.audit.models import ChainHead

    cursor.execute(
        f"SELECT log, chain, seq, row_hash FROM {ChainHead._meta.db_table}"  # noqa: S608
    )
    heads = {f"{log}:{chain}": {"seq": seq, "hash": h} for log, chain, seq, h in cursor.fetchall()}
    users = get_user_model()._meta.db_table
    cursor.execute(f"SELECT username FROM {users} WHERE is_superuser ORDER BY username")  # noqa: S608
    return {"audit_heads": heads, "superusers": [row[0] for row in cursor.fetchall()]}


@dataclass
class BackupReport:
    manifest: core.Manifest
    anchor_warning: str = ""


def make_backup(file: Path, *, progress=None) -> BackupReport:
    db = settings.DATABASES["default"]
    warning = ""
    try:
        anchor.anchor_now()
    except anchor.AnchorError as exc:
        # A backup must still be taken; the operator must see why the anchor did not move.
        warning = str(exc)
    key = audit_key()
    if settings.DATABASE_IS_SQLITE:
        manifest = core.backup_sqlite(
            Path(db["NAME"]), file, key=key, describe=describe, progress=progress
        )
    else:
        manifest = core.backup_postgresql(db, file, key=key, describe=describe, progress=progress)
    anchor.write(manifest.extra["audit_heads"], anchor_file(file))
    return BackupReport(manifest, warning)


def _manifest_facts(manifest: core.Manifest) -> tuple[dict, set]:
    heads, superusers = manifest.extra.get("audit_heads"), manifest.extra.get("superusers")
    if not isinstance(heads, dict) or not isinstance(superusers, list):
        raise BackupError("The manifest is malformed: it lacks the audit heads or superusers.")
    return heads, set(superusers)


def _with_check_alias(settings_dict: dict, check):
    database = {**settings_dict}
    options = dict(database.get("OPTIONS") or {})
    options.pop("pool", None)  # a one-off connection; no pool that outlives the check
    database["OPTIONS"] = options
    connections.settings[CHECK_ALIAS] = database
    try:
        return check(CHECK_ALIAS)
    finally:
        connections[CHECK_ALIAS].close()
        del connections[CHECK_ALIAS]
        del connections.settings[CHECK_ALIAS]


def audit_problems(using: str, heads: dict, superusers: set) -> list[str]:
    found = verification.verify_all(using=using, anchored=heads)
    problems = found.problems()
    for report in found.chains:
        want = heads.get(report.key)
        if want is None and report.rows:
            problems.append(f"{report.label}: not in the backup's anchor")
        elif want is not None and report.ok and report.last_seq != want["seq"]:
            problems.append(
                f"{report.label}: ends at row {report.last_seq}, the backup's anchor says "
                f"{want['seq']}"
            )
    present = set(
        get_user_model()
        ._base_manager.using(using)
        .filter(is_superuser=True)
        .values_list("username", flat=True)
    )
    for username in sorted(present - superusers):
        problems.append(
            f"user {username} is a superuser in the backup but was not one in the source"
        )
    return problems


def _same_migrations(restored: dict, reference: dict) -> bool:
    try:
        ours = _with_check_alias(reference, applied_migrations)
        theirs = _with_check_alias(restored, applied_migrations)
    except DatabaseError:  # no migrations table in the backup: not this code's version
        return False
    return theirs >= ours


def _migrate_reference(env_overrides: dict) -> None:
    """Migrate an empty scratch database in a separate process: whatever a migration does, it
    cannot touch the target, and the result is exactly what this code's migrations create."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "IMSCLINIC_SQLITE_PATH"}
    }
    env.update(env_overrides)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "imsclinic.cli", "migrate", "--no-input", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        tail = " ".join(result.stderr.strip().splitlines()[-1:])
        raise BackupError(f"Could not build the reference schema to compare with: {tail}")


def schema_problems(restored: dict, reference: dict, *, same_migrations: bool) -> list[str]:
    """Objects the migrations do not create, or create differently. When the backup holds
    exactly this code's migrations, objects the migrations create but the backup lacks (such as
    a dropped append-only trigger) are problems too; an older backup may lack later ones."""
    problems = []
    for name, definition in sorted(restored.items()):
        if name not in reference:
            problems.append(f"{name} is not created by the migrations")
        elif reference[name] != definition:
            problems.append(f"{name} differs from what the migrations create")
    if same_migrations:
        problems += [
            f"{name} is missing (the migrations create it)"
            for name in sorted(set(reference) - set(restored))
        ]
    return problems


def applied_migrations(alias: str) -> set:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return set(cursor.fetchall())


@dataclass
class RestoreReport:
    manifest: core.Manifest
    kept: str | None  # where the replaced database now is, if there was one


def restore(file: Path, *, db: dict | None = None, progress=None) -> RestoreReport:
    """Restore FILE into a new database, verify it, and swap it in for `db` (default: the
    configured database). Raises BackupError (or RestoreRefused, naming every problem) without
    touching the target."""
    file = Path(file)
    manifest = core.Manifest.load(core.manifest_path(file), audit_key())
    heads, superusers = _manifest_facts(manifest)
    db = settings.DATABASES["default"] if db is None else db
    token = secrets.token_hex(4)
    if db["ENGINE"].endswith("sqlite3"):
        kept = _restore_sqlite(file, db, manifest, heads, superusers, token, progress)
    else:
        kept = _restore_postgresql(file, db, manifest, heads, superusers, token, progress)
    if db is settings.DATABASES["default"]:
        anchor.write(heads)  # the anchor now describes the restored chains
    return RestoreReport(manifest, kept)


def _restore_sqlite(file, db, manifest, heads, superusers, token, progress):
    target = Path(db["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f"{target.name}.restoring-{token}")
    reference = target.with_name(f"{target.name}.reference-{token}")
    try:
        problems = core.restore_sqlite_into(file, scratch, manifest, progress)
        problems += _with_check_alias(
            {**db, "NAME": str(scratch)}, lambda alias: audit_problems(alias, heads, superusers)
        )
        _migrate_reference({"IMSCLINIC_SQLITE_PATH": str(reference)})
        problems += schema_problems(
            core.sqlite_schema_objects(scratch),
            core.sqlite_schema_objects(reference),
            same_migrations=_same_migrations(
                {**db, "NAME": str(scratch)}, {**db, "NAME": str(reference)}
            ),
        )
        if problems:
            raise RestoreRefused(problems)
        connections["default"].close()
        return core.swap_sqlite(scratch, target)
    finally:
        core.remove_sqlite(scratch)
        core.remove_sqlite(reference)


def _pg_url(db: dict, name: str) -> str:
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or ''}{port}/{quote(name, safe='')}"


def _restore_postgresql(file, db, manifest, heads, superusers, token, progress):
    target = db["NAME"]
    scratch = f"{target[:40]}_restoring_{token}"
    reference = f"{target[:40]}_reference_{token}"
    swapped = False
    core.pg_create_database(db, scratch)
    try:
        problems = core.restore_postgresql_into(file, {**db, "NAME": scratch}, manifest, progress)
        problems += _with_check_alias(
            {**db, "NAME": scratch}, lambda alias: audit_problems(alias, heads, superusers)
        )
        core.pg_create_database(db, reference)
        _migrate_reference({"DATABASE_URL": _pg_url(db, reference)})
        problems += schema_problems(
            core.pg_schema_objects({**db, "NAME": scratch}),
            core.pg_schema_objects({**db, "NAME": reference}),
            same_migrations=_same_migrations({**db, "NAME": scratch}, {**db, "NAME": reference}),
        )
        if problems:
            raise RestoreRefused(problems)
        connections["default"].close()
        close_pool = getattr(connections["default"], "close_pool", None)
        if close_pool:
            close_pool()
        kept = core.pg_swap(db, scratch)
        swapped = True
        return kept
    finally:
        if not swapped:
            core.pg_drop_database(db, scratch)
        core.pg_drop_database(db, reference)
