import sys
from pathlib import Path

from imsclinic.audit import backups
from imsclinic.core import backup
from imsclinic.core.commands import OperationalCommand
from imsclinic.core.progress import progress_bars


class Command(OperationalCommand):
    help = (
        "Back up the database to FILE (SQLite online backup, or pg_dump -Fc on PostgreSQL). "
        "Writes FILE.manifest.json (per-table row counts and content hashes, the audit chain "
        "heads and the superusers, authenticated with the audit key) and FILE.anchor.json, and "
        "moves the audit anchor forward."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args, file, quiet, **options):
        try:
            with progress_bars(enabled=not quiet and sys.stderr.isatty()) as progress:
                report = backups.make_backup(file, progress=progress)
        except backup.BackupError as exc:
            self.stderr.write(f"Backup failed: {exc}")
            sys.exit(1)
        if report.anchor_warning:
            self.stderr.write(f"WARNING, audit anchor: {report.anchor_warning}")
        manifest = report.manifest
        self.stdout.write(
            f"Backed up {len(manifest.tables)} tables, {manifest.total_rows} rows to {file} "
            f"(manifest {backup.manifest_path(file)}, anchor {backups.anchor_file(file)})"
        )
