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
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from imsclinic.core.backup import remove_sqlite

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
# Stamped into the template (SQLite's user_version, which Django leaves alone), so a worker's
# test database shows that it is the copy.
TEMPLATE_USER_VERSION = 2026_11_27
_MIGRATE_THEN_PUBLISH = """
import sqlite3, subprocess, sys, traceback
from pathlib import Path
partial, final = Path(sys.argv[1]), Path(sys.argv[2])
failed = final.with_name(final.name + ".failed")
try:
    done = subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", "migrate", "--no-input", "-v0"],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    copying = final.with_name(final.name + ".copying")
    source, target = sqlite3.connect(partial), sqlite3.connect(copying)
    source.backup(target)
    target.execute("PRAGMA user_version = " + str(int(sys.argv[3])))  # marks the copy as ours
    target.commit()
    source.close()
    target.close()
    copying.rename(final)  # the workers wait for this name
except BaseException:
    failed.write_text(traceback.format_exc())
    raise
"""


def start_sqlite_template(directory: Path) -> tuple[Path, subprocess.Popen]:
    """In the xdist controller: start migrating `directory`/migrated.sqlite3 in the background
    (in a session of its own, so that `stop_sqlite_template` ends the migrate with it)."""
    partial, final = directory / "partial.sqlite3", directory / "migrated.sqlite3"
    env = {**os.environ, "IMSCLINIC_SQLITE_PATH": str(partial)}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            _MIGRATE_THEN_PUBLISH,
            str(partial),
            str(final),
            str(TEMPLATE_USER_VERSION),
        ],
        env=env,
        start_new_session=True,
    )
    return final, process


def stop_sqlite_template(process: subprocess.Popen, directory: Path) -> None:
    """At the end of the run: a migrate still running (no worker needed a database) ends."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    shutil.rmtree(directory, ignore_errors=True)


def copy_sqlite_template(template: Path, destination: Path) -> None:
    """In a worker: wait for the controller's migrated database and copy it to `destination`."""
    failed = template.with_name(template.name + ".failed")
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not template.exists():
        if failed.exists():
            raise RuntimeError(f"the test database could not be migrated:\n{failed.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the migrated test database {template} never appeared")
        time.sleep(0.05)
    remove_sqlite(destination)
    shutil.copyfile(template, destination)
