import sys
from pathlib import Path

from django.db import connection

from imsclinic.audit import backups
from imsclinic.core import backup
from imsclinic.core.commands import OperationalCommand
from imsclinic.core.progress import progress_bars


def _has_data() -> bool:
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                return True
    return False


class Command(OperationalCommand):
    help = (
        "Restore FILE (made by `imsclinic backup`) into a new database, verify it there (the "
        "authenticated manifest, every table's hash, the audit chains against the backup's "
        "anchor, signed records, no trigger or function the migrations do not create, no "
        "unexpected superuser), and only then swap it in for the configured database (stop the "
        "server first). A refused restore leaves the configured database untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args, file, force, quiet, **options):
        if not file.exists():
            self.stderr.write(f"Restore failed: no backup at {file}")
            sys.exit(1)
        if not force and _has_data():
            self.stderr.write(
                "Restore refused: the configured database already holds data. Restore into an "
                "empty database, or pass --force to replace it (the old one is kept beside it)."
            )
            sys.exit(2)
        try:
            with progress_bars(enabled=not quiet and sys.stderr.isatty()) as progress:
                report = backups.restore(file, progress=progress)
        except backups.RestoreRefused as exc:
            self.stderr.write("Restore refused; the configured database was not changed:")
            for problem in exc.problems:
                self.stderr.write(f"  - {problem}")
            sys.exit(1)
        except backup.BackupError as exc:
            self.stderr.write(f"Restore failed; the configured database was not changed: {exc}")
            sys.exit(1)
        manifest = report.manifest
        kept = f" The replaced database is kept as {report.kept}." if report.kept else ""
        self.stdout.write(
            f"Restored {len(manifest.tables)} tables, {manifest.total_rows} rows from {file}; "
            "row counts, content hashes, audit chains, signed records, schema and superusers "
            f"verified.{kept}"
        )
