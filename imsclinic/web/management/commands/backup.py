import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from imsclinic.core import backup
from imsclinic.core.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Back up the database to FILE (SQLite online backup, or pg_dump -Fc on PostgreSQL) and "
        "write FILE.manifest.json with per-table row counts and content hashes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args, file, quiet, **options):
        db = settings.DATABASES["default"]
        try:
            with progress_bars(enabled=not quiet and sys.stderr.isatty()) as progress:
                if settings.DATABASE_IS_SQLITE:
                    manifest = backup.backup_sqlite(Path(db["NAME"]), file, progress)
                else:
                    manifest = backup.backup_postgresql(db, file, progress)
        except backup.BackupError as exc:
            self.stderr.write(f"Backup failed: {exc}")
            sys.exit(1)
        self.stdout.write(
            f"Backed up {len(manifest.tables)} tables, {manifest.total_rows} rows to {file} "
            f"(manifest {backup.manifest_path(file)})"
        )
