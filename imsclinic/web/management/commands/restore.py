import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from imsclinic.core import backup
from imsclinic.core.progress import progress_bars


def _has_data() -> bool:
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                return True
    return False


class Command(BaseCommand):
    help = (
        "Restore FILE (made by `imsclinic backup`) into the configured database, then verify "
        "every table's row count and content hash against FILE.manifest.json and the audit "
        "hash chains. Exits non-zero, naming the tables, on any difference."
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
                "empty database, or pass --force to replace it."
            )
            sys.exit(2)
        db = settings.DATABASES["default"]
        connection.close()
        try:
            with progress_bars(enabled=not quiet and sys.stderr.isatty()) as progress:
                if settings.DATABASE_IS_SQLITE:
                    manifest = backup.restore_sqlite(file, Path(db["NAME"]), progress)
                else:
                    manifest = backup.restore_postgresql(file, db, progress)
        except backup.BackupError as exc:
            self.stderr.write(f"Restore failed: {exc}")
            sys.exit(1)
        from imsclinic.audit import chain
        from imsclinic.audit.models import AuditEvent, ChartAccess

        for model in (AuditEvent, ChartAccess):
            result = chain.verify(model)
            if not result.ok:
                self.stderr.write(
                    f"Restore failed: {result.table} row id {result.first_bad_id} {result.problem}"
                )
                sys.exit(1)
        self.stdout.write(
            f"Restored {len(manifest.tables)} tables, {manifest.total_rows} rows from {file}; "
            "row counts, content hashes and audit chains verified."
        )
