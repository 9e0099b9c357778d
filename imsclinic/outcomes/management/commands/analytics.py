"""`imsclinic analytics rebuild`: recompute the analytics rollups, the per-course outcome rows and
the course priorities."""

from django.core.management.base import BaseCommand, CommandError

from imsclinic.accounts.models import Clinic
from imsclinic.core.progress import progress_bars
from imsclinic.outcomes.rollups import rebuild_derived


class Command(BaseCommand):
    help = (
        "rebuild: recompute the monthly analytics rollups, the per-course outcome rows and the "
        "Today course priorities from the clinical records (after a bulk import or an upgrade "
        "that adds them or changes an instrument's MCID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("task", choices=["rebuild"])
        parser.add_argument("--clinic", help="Only this clinic (its slug)")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar")

    def handle(self, *args, task, clinic, no_progress, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic:
            clinics = clinics.filter(slug=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic with the short name {clinic!r}.")
        clinics = list(clinics)
        with progress_bars(enabled=not no_progress) as progress:
            advance = progress("Clinics", len(clinics))
            written = rebuild_derived(clinics, progress=advance)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {len(clinics)} clinics: "
                + ", ".join(f"{n} {what}" for what, n in written.items())
            )
        )
