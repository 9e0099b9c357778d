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
