import sys

from imsclinic.audit import anchor
from imsclinic.audit.verification import verify_all
from imsclinic.core.commands import OperationalCommand


class Command(OperationalCommand):
    help = (
        "Audit trail tools. `audit verify` checks every clinic's chain under the audit key, "
        "compares the chains with the anchored heads, re-hashes every signed record, names each "
        "problem, and moves the anchor forward when all is well. `audit anchor` only moves the "
        "anchor forward (run at least hourly; the server does it on a timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify", "anchor"])

    def handle(self, *args, subcommand, **options):
        if subcommand == "anchor":
            try:
                path, heads = anchor.anchor_now()
            except anchor.AnchorError as exc:
                self.stderr.write(str(exc))
                sys.exit(1)
            self.stdout.write(f"Anchored {len(heads)} chain heads in {path}")
            return
        result = verify_all()
        for report in result.chains:
            if report.ok:
                self.stdout.write(f"{report.label}: {report.rows} rows, chain intact")
        problems = result.problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(
                f"Audit verification FAILED: {len(problems)} problem(s). The anchor was not moved."
            )
            sys.exit(1)
        path = anchor.write({**(anchor.read() or {}), **result.heads})
        if not result.anchored:
            self.stdout.write("No earlier anchor to compare with (first verification).")
        self.stdout.write(f"Signed records re-hashed: all unchanged. Anchored in {path}")
