from pathlib import Path

from django.core.management.base import CommandError

from imsclinic.accounts.models import Clinic
from imsclinic.core.commands import OperationalCommand
from imsclinic.core.progress import progress_bars
from imsclinic.interop.bulk import write_ndjson
from imsclinic.interop.csv_export import write_csv


class Command(OperationalCommand):
    help = (
        "Whole-clinic export. `export fhir --out DIR` writes one <ResourceType>.ndjson per FHIR "
        "type (bulk NDJSON); `export csv --out DIR` writes DIR/<clinic>/<table>.csv. Every "
        "clinic by default, or --clinic SLUG. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=["fhir", "csv"])
        parser.add_argument("--out", required=True, help="Output directory (created if needed)")
        parser.add_argument("--clinic", action="append", help="Clinic slug (repeatable)")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress")

    def handle(self, *args, format, out, clinic, no_progress, **options):
        clinics = Clinic.objects.order_by("name")
        if clinic:
            clinics = clinics.filter(slug__in=clinic)
            missing = sorted(set(clinic) - set(clinics.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No clinic with slug {', '.join(missing)}.")
        clinics = list(clinics)
        if not clinics:
            raise CommandError("There is no clinic to export.")
        out_dir = Path(out)
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"{out_dir} exists and is not a directory.")
        show = not no_progress and self.stdout.isatty()
        with progress_bars(enabled=show) as progress:
            if format == "fhir":
                counts = write_ndjson(clinics, out_dir, progress=progress)
                unit = ".ndjson"
            else:
                counts = write_csv(clinics, out_dir)
                unit = ".csv"
        for name, n in counts.items():
            self.stdout.write(f"{name}{unit}\t{n}")
        self.stdout.write(self.style.SUCCESS(f"Exported {sum(counts.values())} rows to {out_dir}"))
