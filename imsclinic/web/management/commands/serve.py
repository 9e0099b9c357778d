import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from imsclinic.accounts.models import Clinic
from imsclinic.accounts.production import refuse_demo_accounts
from imsclinic.core.progress import progress_bars
from imsclinic.web.demo import build_demo, print_logins


class Command(BaseCommand):
    help = (
        "Migrate, create the demo clinic if the database is empty, then serve on 127.0.0.1 "
        "with gunicorn (production WSGI server) and whitenoise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-demo", action="store_true", help="Do not create demo data")
        parser.add_argument("--demo-patients", type=int, default=60)

    def handle(self, *args, port, host, workers, threads, no_demo, demo_patients, **options):
        call_command("migrate", interactive=False, verbosity=1)
        try:
            refuse_demo_accounts()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        created_demo = False
        if settings.PRODUCTION:
            if not Clinic.objects.exists():
                self.stdout.write(
                    "Production: the database has no clinic yet, and no demo data is created. "
                    "Set one up with `imsclinic create_clinic --help`."
                )
        # Demo data is a development tool: a production server never creates the demo logins.
        elif settings.DEV_TOOLS and not no_demo and not Clinic.objects.exists():
            self.stdout.write("Empty database: creating the demo clinic network…")
            with progress_bars(enabled=sys.stdout.isatty()) as progress:
                build_demo(patients=demo_patients, seed=1, progress=progress)
            created_demo = True
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        try:  # anchor the audit chain heads now; gunicorn's master re-anchors hourly
            call_command("audit", "anchor")
        except SystemExit:
            self.stderr.write("WARNING: the audit anchor was not moved (see above).")
        self.stdout.write(self.style.SUCCESS(f"IMS Clinic at http://{host}:{port}/"))
        if created_demo or (
            not settings.PRODUCTION and Clinic.objects.filter(slug="bow-valley").exists()
        ):
            print_logins(self.stdout)
        self.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "imsclinic.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            # Re-anchors the audit chain heads hourly (docs/security.md, "Audit anchor").
            "--config",
            "python:imsclinic.audit.anchor_timer",
        ]
        os.execvp(argv[0], argv)  # noqa: S606 - replaces this process with the server
