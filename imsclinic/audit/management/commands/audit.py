import sys

from django.core.management.base import BaseCommand

from imsclinic.audit import chain
from imsclinic.audit.models import AuditEvent, ChartAccess


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` checks both hash chains and names the first bad row."

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args, subcommand, **options):
        failed = False
        for model in (AuditEvent, ChartAccess):
            result = chain.verify(model)
            if result.ok:
                self.stdout.write(f"{result.table}: {result.rows_checked} rows, chain intact")
            else:
                failed = True
                self.stderr.write(
                    f"{result.table}: row id {result.first_bad_id} {result.problem} "
                    f"(after {result.rows_checked} good rows)"
                )
        if failed:
            sys.exit(1)
