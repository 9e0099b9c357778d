"""What each pytest-xdist worker has to itself, so tests run in parallel without meeting.

`make test` runs the suite in worker processes (pytest-xdist, `-n 2`). Each worker has its own
test database (pytest-django appends the worker id: `var/test_imsclinic.sqlite3_gw0`, or
`$IMSCLINIC_TEST_DB_NAME_gw0` on PostgreSQL), its own temporary directories (`tmp_path`) and its
own audit anchor file (tests/conftest.py). What is shared must be divided here:

- Redis: `redis_url()` is the suite's Redis database (IMSCLINIC_TEST_REDIS_URL, default
  redis://127.0.0.1:6379/8) plus the worker's index, so worker gw1 uses db 9. Give the suite as
  many consecutive Redis databases as workers. Tests may flush their database.
- Ports: bind port 0 (`free_port()`), never a fixed number.
- Waits on subprocesses: `timeout=HANG_GUARD_SECONDS`, never a tight deadline.

Without xdist (`pytest -p no:xdist` or `-n 0`) the process counts as worker 0.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/8"
# How long a subprocess (a migrate, a server start, a CLI command) may take before the test calls
# it stuck. A hang guard, never a speed requirement: on a shared 2-core machine under parallel
# tests a fresh migrate alone has taken four minutes.
HANG_GUARD_SECONDS = 900
REDIS_DATABASES = 16  # Redis's default `databases` setting


def worker_id() -> str:
    """ "gw0", "gw1", ... under xdist; "main" in a single-process run."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_index() -> int:
    worker = worker_id()
    return int(worker[2:]) if worker.startswith("gw") else 0


def redis_url() -> str:
    """This worker's Redis database: the suite's base database plus the worker's index."""
    base = os.environ.get("IMSCLINIC_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    parts = urlsplit(base)
    path = parts.path.strip("/")
    db = (int(path) if path else 0) + worker_index()
    if db >= REDIS_DATABASES:
        raise RuntimeError(
            f"{worker_id()} would use Redis database {db} (base {base}); Redis has "
            f"{REDIS_DATABASES}: lower IMSCLINIC_TEST_REDIS_URL's database or run fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def free_port() -> int:
    """A port the kernel just handed out on loopback (bind it soon; never hard-code one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_migrated_data_dir(template, destination):
    """A copy of the `migrated_data_dir_template` fixture's directory at `destination` (which
    may exist, empty)."""
    shutil.copytree(template, destination, dirs_exist_ok=True)
    return destination


# --- One migrated SQLite database for every worker ------------------------------------------
# A fresh migrate is ~9 s of CPU and each worker made its own test database with one, both at
# the start of the run. Instead the xdist controller, idle while its workers collect the tests,
# migrates one file in the background; each worker copies it as its test database and lets
# Django keep it (`keepdb`: the migrate that follows finds nothing to apply).
SQLITE_TEMPLATE_KEY = "imsclinic_sqlite_template"
_MIGRATE_THEN_PUBLISH = """
import sqlite3, subprocess, sys
from pathlib import Path
partial, final = Path(sys.argv[1]), Path(sys.argv[2])
done = subprocess.run([sys.executable, "-m", "imsclinic.cli", "migrate", "--no-input", "-v0"])
if done.returncode == 0:
    copying = final.with_name(final.name + ".copying")
    with sqlite3.connect(partial) as source, sqlite3.connect(copying) as target:
        source.backup(target)
    source.close()
    target.close()
    copying.rename(final)  # the workers wait for this name
else:
    final.with_name(final.name + ".failed").touch()
"""


def start_sqlite_template(directory: Path) -> tuple[Path, subprocess.Popen]:
    """In the xdist controller: start migrating `directory`/migrated.sqlite3 in the background."""
    partial, final = directory / "partial.sqlite3", directory / "migrated.sqlite3"
    env = {**os.environ, "IMSCLINIC_SQLITE_PATH": str(partial)}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _MIGRATE_THEN_PUBLISH, str(partial), str(final)], env=env
    )
    return final, process


def copy_sqlite_template(template: Path, destination: Path) -> bool:
    """In a worker: wait for the controller's migrated database and copy it to `destination`.
    False if the migrate failed (the worker then migrates its own, and shows why)."""
    failed = template.with_name(template.name + ".failed")
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not template.exists():
        if failed.exists():
            return False
        if time.monotonic() > deadline:
            raise RuntimeError(f"the migrated test database {template} never appeared")
        time.sleep(0.05)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{destination}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, destination)
    return True
