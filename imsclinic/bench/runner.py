"""`imsclinic bench`: data sizes × databases, a production server, a separate load process.

For each database (sqlite, postgresql) and size (small, network) the runner
1. prepares a bench-only database (a file under the work directory, or a PostgreSQL database
   named imsclinic_bench_<size>): migrate, then `imsclinic demo` in network mode; a database
   generated earlier with the same parameters is reused (`--rebuild` regenerates);
2. runs `bench_setup` there (bench user, session cookie, API token, endpoint list);
3. starts gunicorn with IMSCLINIC_ENV=production (a fresh random secret key, no SSL redirect,
   allowed host 127.0.0.1, whitenoise over collected static files) and the query counter on;
4. runs the load driver (bench/load.py) in its own process against it, endpoint by endpoint;
5. stops the server.
With both sizes of a database measured, the clinic-wide pages are measured once more by
interleaving: both sizes' servers run at once and the driver alternates between them in short
rounds, so that a slow spell of the machine touches both sizes alike (`interleaved_scale`).
Then report.json and report.md are written (bench/report.py).

Every step is a subprocess with an explicit environment, so the databases and settings of the
runs never mix, and the `bench` command itself needs no database.
"""

import hashlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

SIZES = {
    # The heavy 500-session chart is in both sizes, so their pages compare like with like.
    "small": {"clinics": 2, "patients": 300, "sessions": 3000},
    "network": {"clinics": 50, "patients": 100_000, "sessions": 1_000_000},
}
QUICK_SIZES = {
    "small": {"clinics": 2, "patients": 120, "sessions": 800},
    "network": {"clinics": 4, "patients": 400, "sessions": 2000},
}
DATABASES = ("sqlite", "postgresql")


@dataclass
class Options:
    sizes: list[str]
    databases: list[str]
    duration: float
    out: Path
    work: Path
    postgres_url: str
    concurrency: int = 2
    workers: int = 2
    threads: int = 2
    quick: bool = False
    rebuild: bool = False
    seed: int = 1
    network: dict = field(default_factory=dict)
    only: list[str] = field(default_factory=list)

    def spec(self, size: str) -> dict:
        spec = dict((QUICK_SIZES if self.quick else SIZES)[size])
        if size == "network":
            spec.update({k: v for k, v in self.network.items() if v})
        return spec | {"seed": self.seed}


def say(message: str) -> None:
    print(message, flush=True)


def _python(*args) -> list[str]:
    return [sys.executable, "-m", "imsclinic.cli", *args]


class Target:
    """One database at one size: how to reach it, create it and drop it."""

    def __init__(self, options: Options, database: str, size: str):
        self.options = options
        self.database = database
        self.size = size
        self.spec = options.spec(size)
        self.marker = options.work / f"{database}-{size}.json"
        self.sqlite_path = options.work / f"{size}.sqlite3"
        self.pg_name = f"imsclinic_bench_{size}"

    def env(self, secret: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
        env.pop("DATABASE_URL", None)
        env.update(
            IMSCLINIC_ENV="production",
            IMSCLINIC_SECRET_KEY=secret,
            IMSCLINIC_AUDIT_KEY=secret,  # the same for every step of one run, as in production
            IMSCLINIC_DEBUG="false",
            IMSCLINIC_SSL_REDIRECT="false",
            IMSCLINIC_ALLOWED_HOSTS="127.0.0.1",
            IMSCLINIC_DATA_DIR=str(self.options.work),
            IMSCLINIC_STATIC_ROOT=str(self.options.work / "static"),
            IMSCLINIC_LOG_LEVEL="ERROR",
            IMSCLINIC_BENCH_QUERY_COUNT="1",
            # The API's per-user limit (600/min) is production's guard against a runaway client;
            # the load driver is one user sending hundreds of writes a second on purpose, and
            # measures the server, not the limiter (a fast run answered 429 to half its invoices).
            IMSCLINIC_RATE_API="1000000/m",
            # The harness (bench_setup, demo, /bench/hello, the query counter) is a development
            # tool, absent from production; its own production-mode servers turn it on.
            IMSCLINIC_DEV_TOOLS="true",
        )
        if self.database == "sqlite":
            env["IMSCLINIC_SQLITE_PATH"] = str(self.sqlite_path)
        else:
            env["DATABASE_URL"] = f"{self.options.postgres_url.rstrip('/')}/{self.pg_name}"
            env["IMSCLINIC_DB_POOL_MAX"] = str(max(4, self.options.threads + 1))
        return env

    def stamp(self) -> dict:
        """What the data depends on: the sizes and seed, and every migration (a new model or
        field since the last generation means the generator may now fill more)."""
        return {"spec": self.spec, "migrations": list(migration_files())}

    def fresh(self) -> bool:
        """Data generated earlier with the same parameters and schema still there?"""
        if self.options.rebuild or not self.marker.exists():
            return False
        if json.loads(self.marker.read_text()) != self.stamp():
            return False
        return self.sqlite_path.exists() if self.database == "sqlite" else self._pg_exists()

    def _admin(self, sql: str, *params):
        import psycopg

        with psycopg.connect(
            f"{self.options.postgres_url.rstrip('/')}/postgres", autocommit=True
        ) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if sql.startswith("SELECT") else None

    def _pg_exists(self) -> bool:
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", self.pg_name))

    def recreate(self) -> None:
        self.marker.unlink(missing_ok=True)
        if self.database == "sqlite":
            from imsclinic.core.backup import remove_sqlite

            remove_sqlite(self.sqlite_path)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.pg_name}"')


def _run(cmd: list[str], env: dict, *, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        cmd,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
        stdout=subprocess.PIPE if capture else None,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed (exit {result.returncode})")
    return result.stdout or ""


def migration_files() -> dict[str, Path]:
    """Every app's migration files: {"clinical/migrations/0001_initial.py": path, ...}, sorted."""
    root = Path(__file__).resolve().parents[1]
    found = {p.relative_to(root).as_posix(): p for p in root.glob("*/migrations/0*.py")}
    return dict(sorted(found.items()))


def schema_key() -> str:
    """What an empty migrated database depends on: every migration file's text."""
    digest = hashlib.sha256()
    for name, path in migration_files().items():
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_sqlite_template(work: Path) -> Path:
    """Where the work directory keeps an empty database migrated to the current schema."""
    return work / f"migrated-{schema_key()}.sqlite3"


def _migrate_sqlite(target: Target, env: dict) -> None:
    """Migrate once per schema and work directory, then copy: a fresh migrate is about 9 s of
    CPU, and each size (and a rebuild) starts from the same empty schema."""
    from imsclinic.core.backup import copy_sqlite, remove_sqlite

    template = migrated_sqlite_template(target.options.work)
    if not template.exists():
        partial = template.with_name(template.name + ".partial")
        remove_sqlite(partial)
        _run(_python("migrate", "-v0"), {**env, "IMSCLINIC_SQLITE_PATH": str(partial)})
        copy_sqlite(partial, template)
        remove_sqlite(partial)
    copy_sqlite(template, target.sqlite_path)


def prepare(target: Target, env: dict) -> dict:
    """Migrate and generate the data unless an identical generation is already there."""
    info = {"reused": target.fresh(), "generation_seconds": None}
    if not info["reused"]:
        target.recreate()
        say(f"[{target.database}/{target.size}] migrating and generating {target.spec} …")
        if target.database == "sqlite":
            _migrate_sqlite(target, env)
        else:
            _run(_python("migrate", "-v0"), env)
        started = time.perf_counter()
        spec = target.spec
        # Generating data is not serving: it runs with development settings, since production
        # never creates demo data (the server that measures it runs in production mode).
        _run(
            _python(
                "demo",
                "--clinics",
                str(spec["clinics"]),
                "--patients",
                str(spec["patients"]),
                "--sessions",
                str(spec["sessions"]),
                "--seed",
                str(spec["seed"]),
            )
            + ([] if sys.stdout.isatty() else ["--no-progress"]),
            {**env, "IMSCLINIC_ENV": "development"},
        )
        info["generation_seconds"] = round(time.perf_counter() - started, 1)
        target.marker.write_text(json.dumps(target.stamp()))
    else:
        say(f"[{target.database}/{target.size}] reusing data generated earlier ({target.spec})")
        _run(_python("migrate", "-v0"), env)
    return info


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn, the production WSGI server, on a loopback port."""

    def __init__(self, env: dict, options: Options):
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "imsclinic.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(options.workers),
                "--threads",
                str(options.threads),
                "--graceful-timeout",
                "5",
                # Slow endpoints are measured, not killed (gunicorn's default is 30 s).
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("The server exited during start-up; see its output above.")
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback http only
                    f"http://127.0.0.1:{self.port}/healthz", timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("The server did not answer /healthz within a minute.")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def drive(port: int, endpoints: list[dict], options: Options) -> list[dict]:
    """Run the load driver in its own process; it prints progress, returns JSON."""
    plan = {
        "host": "127.0.0.1",
        "port": port,
        "duration": options.duration,
        "concurrency": options.concurrency,
        "warmup": min(2.0, options.duration / 5),
        "warmup_concurrency": options.workers * options.threads,
        "endpoints": endpoints,
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "imsclinic.bench.load"],
        input=json.dumps(plan),
        text=True,
        stdout=subprocess.PIPE,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    if result.returncode != 0:
        raise RuntimeError(f"The load driver failed (exit {result.returncode}).")
    return json.loads(result.stdout)


def run_one(options: Options, database: str, size: str) -> dict:
    target = Target(options, database, size)
    secret = secrets.token_urlsafe(64)
    env = target.env(secret)
    info = prepare(target, env)
    setup = json.loads(_run(_python("bench_setup"), env, capture=True).strip().splitlines()[-1])
    endpoints = [
        e for e in setup["endpoints"] if not options.only or e["key"] in options.only + ["hello"]
    ]
    available = [e for e in endpoints if not e["unavailable"]]
    say(
        f"[{database}/{size}] serving with gunicorn (production settings); driving "
        f"{len(available)} endpoints × {options.duration} s"
    )
    server = Server(env, options)
    try:
        results = {r["key"]: r for r in drive(server.port, available, options)}
    finally:
        server.stop()
    rows = []
    for e in endpoints:
        row = {"key": e["key"], "label": e["label"]}
        if e["unavailable"]:
            row["available"] = False
            row["reason"] = e["unavailable"]
        else:
            row["available"] = True
            row.update(results[e["key"]])
        rows.append(row)
    return {
        "database": database,
        "size": size,
        "spec": target.spec,
        "counts": setup["counts"],
        "heavy_patient_sessions": setup["sessions"],
        "search": setup["search"],
        "plans": setup.get("plans", []),
        **info,
        "endpoints": rows,
    }


def collect_static(options: Options) -> None:
    env = Target(options, "sqlite", "small").env(secrets.token_urlsafe(64))
    static = options.work / "static"
    if static.exists():
        shutil.rmtree(static)
    _run(_python("collectstatic", "--noinput", "-v0"), env)


# The pages whose cost must not grow with the clinic or the network (issue 14's "flat clinic-wide
# pages"), and `hello`, which touches no data: its ratio is the noise floor of the method.
SCALE_KEYS = ("hello", "today", "patient_search", "analytics", "network_analytics", "closeout")
SCALE_ROUNDS = 6


def _median(values: list[float | None]) -> float | None:
    """The median of the rounds that measured something, to 0.01 ms."""
    measured = [v for v in values if v is not None]
    return round(statistics.median(measured), 2) if measured else None


def interleaved_scale(options: Options, database: str) -> dict:
    """Small against network size, both servers up at once, in alternating short rounds.

    Per page and size, the medians over the rounds of the client p50 and the server p50; the
    ratio network/small of each. `hello` gives the ratio of a page that reads nothing."""
    targets = {size: Target(options, database, size) for size in ("small", "network")}
    servers, endpoints = {}, {}
    round_seconds = round(max(1.0, options.duration / 3), 2)
    try:
        for size, target in targets.items():
            env = target.env(secrets.token_urlsafe(64))
            prepare(target, env)
            setup = _run(_python("bench_setup"), env, capture=True).strip().splitlines()[-1]
            endpoints[size] = {
                e["key"]: e for e in json.loads(setup)["endpoints"] if not e["unavailable"]
            }
            servers[size] = Server(env, options)
        keys = [k for k in SCALE_KEYS if all(k in endpoints[size] for size in targets)]
        say(
            f"[{database}] interleaving small and network servers: {', '.join(keys)} × "
            f"{SCALE_ROUNDS} rounds of {round_seconds:.1f} s"
        )
        rounds = {size: {k: [] for k in keys} for size in targets}
        short = Options(**{**asdict(options), "duration": round_seconds})
        for _ in range(SCALE_ROUNDS):
            for key in keys:
                for size in targets:
                    (result,) = drive(servers[size].port, [endpoints[size][key]], short)
                    rounds[size][key].append(result)
    finally:
        for server in servers.values():
            server.stop()
    pages = []
    for key in keys:
        row = {"key": key, "label": endpoints["small"][key]["label"]}
        for size in targets:
            results = rounds[size][key]
            row[size] = {
                "p50_ms": _median([r["p50_ms"] for r in results]),
                "server_p50_ms": _median([r["server_p50_ms"] for r in results]),
                "errors": sum(r["errors"] for r in results),
                "operations": sum(r["operations"] for r in results),
            }
        for figure in ("p50_ms", "server_p50_ms"):
            small, network = row["small"][figure], row["network"][figure]
            row[f"ratio_{figure}"] = round(network / small, 2) if small and network else None
        pages.append(row)
    return {
        "database": database,
        "rounds": SCALE_ROUNDS,
        "round_seconds": round_seconds,
        "pages": pages,
    }


def run(options: Options) -> dict:
    from imsclinic.bench.report import build_report, write_report

    options.out.mkdir(parents=True, exist_ok=True)
    options.work.mkdir(parents=True, exist_ok=True)
    collect_static(options)
    settings = asdict(options)
    settings.update(out=str(options.out), work=str(options.work))
    settings.pop("postgres_url", None)
    runs, scale = [], []
    for database in options.databases:
        for size in options.sizes:
            runs.append(run_one(options, database, size))
            # Written after every run, so an interrupted benchmark still leaves what it measured.
            report = build_report(runs, settings, scale)
            write_report(report, options.out)
        if {"small", "network"} <= set(options.sizes):
            scale.append(interleaved_scale(options, database))
            report = build_report(runs, settings, scale)
            write_report(report, options.out)
    return report
