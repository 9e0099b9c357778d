"""Two app servers, one PostgreSQL: one clinic network served correctly from either (issue 14).

Two gunicorn processes on two ports share the database (where sessions live) and Redis (the
cache). A session made on one is valid on the other; a write through one is visible through the
other, and the chart summary section the other had cached in Redis is not served stale.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from imsclinic.accounts.models import Role
from tests import workers
from tests.factories import (
    ClinicFactory,
    CourseOfCareFactory,
    MembershipFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="several servers need PostgreSQL"),
]

REDIS_URL = workers.redis_url()
PASSWORD = "two-servers-correct-horse-7"  # noqa: S105 - a test account's password
SECRET = "two-servers-" + "s3cr3t-k3y-" * 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "imsclinic.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )

    def wait_ready(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=10) as response:
                    if response.status == 200:
                        return
            except OSError:
                assert self.process.poll() is None, "the server exited during start-up"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def network(transactional_db):
    clinic = ClinicFactory(name="Two Servers Clinic", slug="two-servers")
    user = UserFactory(username="twoservers", first_name="Tess", last_name="Two")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "two-servers-salt")
    user.save(update_fields=["password"])
    MembershipFactory(user=user, clinic=clinic, role=Role.PRACTITIONER)
    NeedlingAuthorisationFactory(user=user)
    patient = PatientFactory(clinic=clinic, family_name="Sharedchart", phone="(403) 555-0100")
    course = CourseOfCareFactory(patient=patient, practitioner=user)
    return {"clinic": clinic, "user": user, "patient": patient, "course": course}


@pytest.fixture
def servers(network, tmp_path):
    import redis

    prefix = f"two-servers-{os.getpid()}"
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        IMSCLINIC_ENV="development",
        IMSCLINIC_DEBUG="false",
        IMSCLINIC_SECRET_KEY=SECRET,
        IMSCLINIC_CACHE_URL=REDIS_URL,
        IMSCLINIC_CACHE_PREFIX=prefix,
        IMSCLINIC_DATA_DIR=str(tmp_path),
        IMSCLINIC_STATIC_ROOT=str(tmp_path / "static"),
        IMSCLINIC_DB_POOL_MAX="3",
    )
    started = [Server(env), Server(env)]
    try:
        deadline = time.monotonic() + workers.HANG_GUARD_SECONDS
        for server in started:
            server.wait_ready(deadline)
        yield started, client, prefix
    finally:
        for server in started:
            server.stop()
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) or re.search(
        r'"X-CSRFToken": "([^"]+)"', page
    )
    return found.group(1)


def _open(browser, url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    with browser.open(request, timeout=60) as response:
        return response.status, response.geturl(), response.read().decode()


def test_two_servers_share_sessions_writes_and_the_chart_cache(network, servers):
    (one, two), redis_client, prefix = servers
    patient, course = network["patient"], network["course"]
    # One cookie jar: cookies belong to the host, so the browser sends them to both ports.
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    _, _, login_page = _open(browser, f"{one.base}/accounts/login/")
    status, landed, _ = _open(
        browser,
        f"{one.base}/accounts/login/",
        {"csrfmiddlewaretoken": _csrf(login_page), "username": "twoservers", "password": PASSWORD},
    )
    assert status == 200 and "/accounts/login/" not in landed, "signed in on server one"

    # The session made on server one is valid on server two.
    status, landed, today = _open(browser, f"{two.base}/today/")
    assert status == 200 and landed.endswith("/today/")
    assert "Two Servers Clinic" in today

    chart = f"/patients/{patient.uuid}/"
    _, _, before = _open(browser, f"{two.base}{chart}")
    assert "No active course" not in before
    cached = list(redis_client.scan_iter(f"*{prefix}*chart-section*"))
    assert cached, "server two cached the chart's sections in Redis"

    # Server one reads the sections server two rendered (nothing new is cached) ...
    _open(browser, f"{one.base}{chart}")
    assert sorted(redis_client.scan_iter(f"*{prefix}*chart-section*")) == sorted(cached)

    # ... and a write through server one is what server two shows next, not its cached section.
    _, _, course_page = _open(browser, f"{one.base}/clinical/patients/{patient.uuid}/course/")
    status, _, _ = _open(
        browser,
        f"{one.base}/clinical/courses/{course.uuid}/status/",
        {"csrfmiddlewaretoken": _csrf(course_page), "status": "on_hold", "reason": "Travelling"},
    )
    assert status == 200
    _, _, after = _open(browser, f"{two.base}{chart}")
    assert "No active course" in after

    # A write through server two is what server one shows next (its cached section too).
    _, _, course_page = _open(browser, f"{two.base}/clinical/patients/{patient.uuid}/course/")
    status, _, _ = _open(
        browser,
        f"{two.base}/clinical/courses/{course.uuid}/status/",
        {"csrfmiddlewaretoken": _csrf(course_page), "status": "active", "reason": "Back"},
    )
    assert status == 200
    _, _, on_one = _open(browser, f"{one.base}{chart}")
    assert "No active course" not in on_one
    assert "0 of " in on_one  # the Treatment section shows the active course again
