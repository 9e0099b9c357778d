"""Helpers for the load and kill tests: a real gunicorn on loopback over a scratch SQLite file,
and writer processes that register patients through the real form (session + CSRF).

Traffic goes to 127.0.0.1 only. Every loop is bounded by a count of requests, never by the clock:
how fast the machine is decides how long a test takes, not whether it passes. Waits are
event-driven (a writer's acknowledgement arrives as a line on a queue); the only timeouts are
hang guards far beyond any normal run.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import workers

# A hang guard, not a speed requirement: a run that takes this long is stuck.
HANG_GUARD_SECONDS = workers.HANG_GUARD_SECONDS

PASSWORD = "load-test-password-9431"  # noqa: S105
SETUP = f"""
import django, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'imsclinic.settings'
django.setup()
from django.core.management import call_command
call_command('migrate', verbosity=0)
from imsclinic.accounts.models import Clinic, Membership, Role, User
clinic = Clinic.objects.create(name='Load Clinic', slug='load')
for i in range(8):
    user = User.objects.create_user(f'desk{{i}}', password='{PASSWORD}')
    Membership.objects.create(user=user, clinic=clinic, role=Role.FRONT_DESK)
"""

# One writer: sign in, then register `count` patients; print each acknowledged (2xx/3xx) name.
WRITER = r"""
import http.cookiejar, json, sys, urllib.parse, urllib.request
base, username, password, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
jar = http.cookiejar.CookieJar()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
def csrf():
    return next(c.value for c in jar if c.name == 'csrftoken')
def post(path, data):
    body = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(base + path, data=body, headers={'X-CSRFToken': csrf(), 'Referer': base + path})
    try:
        with opener.open(req, timeout=300) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
opener.open(base + '/accounts/login/', timeout=300).read()
status = post('/accounts/login/', {'username': username, 'password': password})
if status != 302:
    print(json.dumps({'error': f'login {status}'}), flush=True); sys.exit(1)
for i in range(count):
    name = f'{username}-{i}'
    try:
        status = post('/patients/new/', {'given_name': 'Load', 'family_name': name, 'date_of_birth': '1980-02-03', 'sex': 'female', 'preferred_language': 'en'})
    except Exception as exc:
        print(json.dumps({'failed': name, 'why': type(exc).__name__}), flush=True)
        break
    if status == 302:
        print(json.dumps({'ack': name}), flush=True)
    else:
        print(json.dumps({'failed': name, 'status': status}), flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["IMSCLINIC_DATA_DIR"] = str(data_dir)
    env["IMSCLINIC_LOG_LEVEL"] = "WARNING"
    return env


def prepare_database(data_dir: Path) -> Path:
    """A migrated data directory with the load clinic and its desk users. Its migrate is quick
    on a copy of the migrated template (tests/conftest.py), which is how the tests call it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP],
        env=env_for(data_dir),
        check=True,
        timeout=HANG_GUARD_SECONDS,
    )
    return data_dir / "imsclinic.sqlite3"


def copy_database(template: Path, data_dir: Path) -> Path:
    """A fresh copy of a prepared data directory (the database with its WAL folded in by the
    setup process's close, and the development audit key beside it)."""
    shutil.copytree(template, data_dir)
    return data_dir / "imsclinic.sqlite3"


def start_server(data_dir: Path, port: int, log: Path, *, workers=3, threads=2):
    log_file = log.open("w")
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "imsclinic.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--graceful-timeout",
            "5",
        ],
        env=env_for(data_dir),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the kill test can kill all of it
    )
    # Wait for the port to accept, or for the server to die; the deadline is a hang guard (a
    # start-up on a loaded machine may take long; only a stuck one fails here).
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")


@dataclass
class Writers:
    """Writer processes whose output lines arrive on one queue as they are printed."""

    procs: list
    lines: queue.Queue = field(default_factory=queue.Queue)
    seen: list = field(default_factory=list)

    def wait_for_acks(self, wanted: int) -> None:
        """Block until `wanted` writes in all are acknowledged (or every writer has stopped)."""
        acked = sum(1 for line in self.seen if '"ack"' in line)
        while acked < wanted:
            try:
                line = self.lines.get(timeout=HANG_GUARD_SECONDS)
            except queue.Empty:
                raise AssertionError(
                    f"only {acked} acknowledged writes; the load is stuck"
                ) from None
            if line is None:  # a writer's output ended
                if all(proc.poll() is not None for proc in self.procs) and self.lines.empty():
                    return
                continue
            self.seen.append(line)
            acked += '"ack"' in line

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()


def start_writers(port: int, workers: int, count: int) -> Writers:
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-c",
                WRITER,
                f"http://127.0.0.1:{port}",
                f"desk{i}",
                PASSWORD,
                str(count),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    writers = Writers(procs)

    def pump(proc):
        for line in proc.stdout:
            writers.lines.put(line)
        writers.lines.put(None)

    for proc in procs:
        threading.Thread(target=pump, args=(proc,), daemon=True).start()
    return writers


def collect(writers: Writers) -> tuple[list[str], list[dict]]:
    """Wait for every writer to finish; return the acknowledged names and the failures."""
    for proc in writers.procs:
        proc.wait(timeout=HANG_GUARD_SECONDS)
    ended = 0
    while ended < len(writers.procs):
        line = writers.lines.get(timeout=HANG_GUARD_SECONDS)
        if line is None:
            ended += 1
        else:
            writers.seen.append(line)
    acked, failed = [], []
    for line in writers.seen:
        item = json.loads(line)
        if "ack" in item:
            acked.append(item["ack"])
        else:
            failed.append(item)
    return acked, failed


def run_cli(data_dir: Path, *args):
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env_for(data_dir),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
