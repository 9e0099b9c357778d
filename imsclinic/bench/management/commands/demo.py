from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imsclinic.core.progress import progress_bars
from imsclinic.patients.models import Patient
from imsclinic.web.demo import build_demo, print_logins


class Command(BaseCommand):
    help = "Create a deterministic synthetic demo clinic network (patients, staff, records)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=int, default=None, help="How many patients (default 60)"
        )
        # Network scale mode: bulk-generated clinics, sessions and outcomes (bench/scale.py).
        parser.add_argument("--network", action="store_true", help="Network scale mode")
        parser.add_argument("--clinics", type=int, help="Network mode: clinics (default 50)")
        parser.add_argument("--sessions", type=int, help="Network mode: sessions (default 1M)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument("--no-progress", action="store_true", help="Hide progress bars")

    def handle(self, *args, patients, seed, no_progress, network, clinics, sessions, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never created in production (IMSCLINIC_ENV).")
        if network or clinics or sessions is not None:
            if Patient.objects.exists():
                raise CommandError("The database already has patients; use an empty one.")
            from imsclinic.bench.scale import run_from_command

            run_from_command(
                self,
                patients=patients,
                clinics=clinics,
                sessions=sessions,
                seed=seed,
                no_progress=no_progress,
            )
            return print_logins(self.stdout)
        patients = 60 if patients is None else patients
        if patients < 1:
            raise CommandError("--patients must be at least 1")
        if Patient.objects.exists():
            raise CommandError(
                "The database already has patients; demo data goes into an empty one."
            )
        with progress_bars(enabled=not no_progress) as progress:
            ctx = build_demo(patients=patients, seed=seed, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo network ready: {ctx.clinic.name} and {ctx.other_clinic.name}, "
                f"{len(ctx.patients)} patients (seed {seed})."
            )
        )
        print_logins(self.stdout)
