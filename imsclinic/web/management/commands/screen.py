"""`manage.py screen ANSWERS.json [--policy POLICY.json]`: thin wrapper over the CLI."""

import sys

from imsclinic.core.commands import OperationalCommand
from imsclinic.knowledge.cli import SCREEN_USAGE, run_screen_cli


class Command(OperationalCommand):
    help = SCREEN_USAGE

    def add_arguments(self, parser):
        parser.add_argument("answers", nargs="*", help="answers JSON file, or - for stdin")
        parser.add_argument("--policy", help="clinic policy JSON file")

    def handle(self, *args, **options):
        argv = [
            *options["answers"],
            *(["--policy", options["policy"]] if options["policy"] else []),
        ]
        code = run_screen_cli(argv, self.stdout, self.stderr)
        if code:
            sys.exit(code)
