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
    with a scratch database migrated by this code, in a separate process; what that migrate
    produced is kept, authenticated with the audit key, for the next restore by the same code);
  - no superuser exists that the source did not have.
Only then is it swapped in; the old database is kept beside it. Any failure removes the new
database and leaves the target untouched.
"""

import hashlib
import hmac
import json
import logging
import os
import secrets
import subprocess  # noqa: S404  (runs this program's own migrate with an argument list)
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from imsclinic.audit import anchor, verification
from imsclinic.audit.keys import audit_key
from imsclinic.core import backup as core
from imsclinic.core.backup import BackupError

CHECK_ALIAS = "restore_check"
REFERENCE_FORMAT = 1
logger = logging.getLogger(__name__)


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


def _same_migrations(restored: dict, reference_migrations: set) -> bool:
    try:
        theirs = _with_check_alias(restored, applied_migrations)
    except DatabaseError:  # no migrations table in the backup: not this code's version
        return False
    return theirs >= reference_migrations


@dataclass(frozen=True)
class Reference:
    """What this code's migrations create: its schema objects and its applied migrations."""

    objects: dict[str, str]
    migrations: set[tuple[str, str]]

    def to_json(self) -> dict:
        return {"objects": self.objects, "migrations": sorted(map(list, self.migrations))}

    @classmethod
    def from_json(cls, data) -> "Reference":
        objects, migrations = data["objects"], data["migrations"]
        if not isinstance(objects, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in objects.items()
        ):
            raise ValueError("objects")
        if not all(isinstance(m, list) and len(m) == 2 for m in migrations):
            raise ValueError("migrations")
        return cls(objects, {(str(app), str(name)) for app, name in migrations})


def code_fingerprint(engine: str) -> str:
    """Names this code's reference schema: every module of the app (the migrations and the
    trigger and lock definitions they install), Django's version and the database engine."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{REFERENCE_FORMAT}|{django.get_version()}|{engine}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _reference_mac(key: bytes, fingerprint: str, body: dict) -> str:
    canonical = json.dumps([fingerprint, body], sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _reference_path(fingerprint: str) -> Path:
    return Path(settings.RESTORE_REFERENCE_DIR) / f"reference-{fingerprint[:32]}.json"


def cached_reference(fingerprint: str) -> Reference | None:
    """The reference kept by an earlier restore of the same code, if its MAC holds under this
    installation's audit key. Whoever can write the folder but lacks the key cannot make a
    trigger of theirs look like one the migrations create: a forged or damaged file is ignored
    and the reference is migrated afresh."""
    path = _reference_path(fingerprint)
    try:
        stored = json.loads(path.read_text())
        body = stored["reference"]
        if not hmac.compare_digest(
            str(stored["mac"]), _reference_mac(audit_key(), fingerprint, body)
        ):
            logger.warning("Ignoring %s: its MAC does not hold under the audit key", path)
            return None
        return Reference.from_json(body)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        logger.warning("Ignoring %s: not a reference schema this code wrote", path)
        return None


def keep_reference(fingerprint: str, reference: Reference) -> None:
    path = _reference_path(fingerprint)
    body = reference.to_json()
    stored = {"reference": body, "mac": _reference_mac(audit_key(), fingerprint, body)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
        partial.write_text(json.dumps(stored, sort_keys=True))
        os.replace(partial, path)
    except OSError as exc:  # the restore itself stands; the next one migrates again
        logger.warning("Could not keep the reference schema in %s: %s", path.parent, exc)


def _reference(engine: str, build) -> Reference:
    fingerprint = code_fingerprint(engine)
    reference = cached_reference(fingerprint)
    if reference is None:
        reference = build()
        keep_reference(fingerprint, reference)
    return reference


def sqlite_reference(path: Path, db: dict) -> Reference:
    """The reference schema read from a SQLite file that this code's migrations created (`db`:
    the settings to open it with, its NAME replaced by `path`)."""
    return Reference(
        core.sqlite_schema_objects(path),
        _with_check_alias({**db, "NAME": str(path)}, applied_migrations),
    )


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
    reference_db = target.with_name(f"{target.name}.reference-{token}")

    def build() -> Reference:
        _migrate_reference({"IMSCLINIC_SQLITE_PATH": str(reference_db)})
        return sqlite_reference(reference_db, db)

    try:
        problems = core.restore_sqlite_into(file, scratch, manifest, progress)
        problems += _with_check_alias(
            {**db, "NAME": str(scratch)}, lambda alias: audit_problems(alias, heads, superusers)
        )
        reference = _reference("sqlite", build)
        problems += schema_problems(
            core.sqlite_schema_objects(scratch),
            reference.objects,
            same_migrations=_same_migrations({**db, "NAME": str(scratch)}, reference.migrations),
        )
        if problems:
            raise RestoreRefused(problems)
        connections["default"].close()
        return core.swap_sqlite(scratch, target)
    finally:
        core.remove_sqlite(scratch)
        core.remove_sqlite(reference_db)


def _pg_url(db: dict, name: str) -> str:
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or ''}{port}/{quote(name, safe='')}"


def _restore_postgresql(file, db, manifest, heads, superusers, token, progress):
    target = db["NAME"]
    scratch = f"{target[:40]}_restoring_{token}"
    reference_db = f"{target[:40]}_reference_{token}"
    made_reference = False

    def build() -> Reference:
        nonlocal made_reference
        core.pg_create_database(db, reference_db)
        made_reference = True
        _migrate_reference({"DATABASE_URL": _pg_url(db, reference_db)})
        return Reference(
            core.pg_schema_objects({**db, "NAME": reference_db}),
            _with_check_alias({**db, "NAME": reference_db}, applied_migrations),
        )

    swapped = False
    core.pg_create_database(db, scratch)
    try:
        problems = core.restore_postgresql_into(file, {**db, "NAME": scratch}, manifest, progress)
        problems += _with_check_alias(
            {**db, "NAME": scratch}, lambda alias: audit_problems(alias, heads, superusers)
        )
        # Function bodies as the server prints them may differ between PostgreSQL versions.
        server = _with_check_alias({**db, "NAME": scratch}, lambda a: connections[a].pg_version)
        reference = _reference(f"postgresql-{server}", build)
        problems += schema_problems(
            core.pg_schema_objects({**db, "NAME": scratch}),
            reference.objects,
            same_migrations=_same_migrations({**db, "NAME": scratch}, reference.migrations),
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
        if made_reference:
            core.pg_drop_database(db, reference_db)
