"""`manage.py segments FINDING... [--json]`: thin wrapper over the knowledge-base CLI."""

import sys

from django.core.management.base import BaseCommand

from imsclinic.knowledge.cli import SEGMENTS_USAGE, run_segments_cli


class Command(BaseCommand):
    # A knowledge-base tool: Django's system checks would import the URL configuration and the
    # whole API first (half its start). `imsclinic check` and `serve` run them.
    requires_system_checks = []
    help = SEGMENTS_USAGE

    def add_arguments(self, parser):
        parser.add_argument("findings", nargs="*", help="name[:side[:grades]], e.g. deltoid:R")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **options):
        argv = [*options["findings"], *(["--json"] if options["json"] else [])]
        code = run_segments_cli(argv, self.stdout, self.stderr)
        if code:
            sys.exit(code)
