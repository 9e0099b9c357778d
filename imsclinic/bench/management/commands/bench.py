"""`imsclinic bench`: the benchmark of docs/performance.md (see bench/runner.py for the steps)."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imsclinic.bench.runner import DATABASES, SIZES, Options, run


def _csv(value: str, allowed) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown or not items:
        raise CommandError(f"Choose among {', '.join(allowed)}; got {value!r}.")
    return items


class Command(BaseCommand):
    help = (
        "Benchmark the app as deployed: generate data (small and network size), serve it with "
        "gunicorn on loopback under production settings, drive a realistic mix from a separate "
        "process, and write report.json and report.md."
    )
    # The bench works on its own databases through subprocesses; it needs no checks here.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="small,network", help="small,network")
        parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
        parser.add_argument("--duration", type=float, default=10, help="seconds per endpoint")
        parser.add_argument("--out", default="var/bench/report", help="report directory")
        parser.add_argument("--work", default="var/bench/work", help="bench databases, static")
        parser.add_argument(
            "--postgres-url",
            default=os.environ.get(
                "IMSCLINIC_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
            ),
            help="server URL without a database name; bench databases are created there",
        )
        parser.add_argument("--clinics", type=int, help="network size: clinics (default 50)")
        parser.add_argument("--patients", type=int, help="network size: patients (default 100k)")
        parser.add_argument("--sessions", type=int, help="network size: sessions (default 1M)")
        parser.add_argument("--concurrency", type=int, default=2, help="connections per endpoint")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
        parser.add_argument("--only", default="", help="endpoint keys to run (hello always runs)")
        parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
        parser.add_argument(
            "--quick", action="store_true", help="tiny data and 1 s per endpoint (tests)"
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **o):
        base = Path(settings.BASE_DIR)
        options = Options(
            sizes=_csv(o["sizes"], SIZES),
            databases=_csv(o["databases"], DATABASES),
            duration=1.0 if o["quick"] and o["duration"] == 10 else o["duration"],
            out=(base / o["out"]).resolve(),
            work=(base / o["work"]).resolve(),
            postgres_url=o["postgres_url"],
            concurrency=o["concurrency"],
            workers=o["workers"],
            threads=o["threads"],
            quick=o["quick"],
            rebuild=o["rebuild"],
            seed=o["seed"],
            network={"clinics": o["clinics"], "patients": o["patients"], "sessions": o["sessions"]},
            only=[k for k in o["only"].split(",") if k],
        )
        if options.duration <= 0:
            raise CommandError("--duration must be positive.")
        try:
            report = run(options)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        for target in report["targets"]:
            self.stdout.write(f"{target['status']:>12}  {target['target']}")
        self.stdout.write(self.style.SUCCESS(f"Report: {options.out / 'report.md'}"))
