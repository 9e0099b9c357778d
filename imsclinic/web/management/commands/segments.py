"""`manage.py segments FINDING... [--json]`: thin wrapper over the knowledge-base CLI."""

import sys

from imsclinic.core.commands import OperationalCommand
from imsclinic.knowledge.cli import SEGMENTS_USAGE, run_segments_cli


class Command(OperationalCommand):
    help = SEGMENTS_USAGE

    def add_arguments(self, parser):
        parser.add_argument("findings", nargs="*", help="name[:side[:grades]], e.g. deltoid:R")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **options):
        argv = [*options["findings"], *(["--json"] if options["json"] else [])]
        code = run_segments_cli(argv, self.stdout, self.stderr)
        if code:
            sys.exit(code)
