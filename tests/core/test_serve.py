"""`imsclinic serve` on a fresh data directory: migrates, creates the demo and serves."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests import workers

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_serve_migrates_creates_demo_and_serves(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.update(IMSCLINIC_DATA_DIR=str(tmp_path), IMSCLINIC_STATIC_ROOT=str(tmp_path / "static"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imsclinic.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--demo-patients",
            "6",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + workers.HANG_GUARD_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # still booting
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)

        # A visitor at / finds the network's clinics and the staff sign-in link.
        front_door = urllib.request.build_opener(_NoRedirect).open(f"{base}/")
        assert front_door.status == 200
        page = front_door.read().decode()
        assert "Bow Valley IMS &amp; Physiotherapy" in page
        assert 'href="/accounts/login/"' in page

        jar = CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = browser.open(f"{base}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "practitioner",
                "password": "demo-practitioner-ims",
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
        )
        today = browser.open(request).read().decode()
        assert "<h1>Today</h1>" in today
        assert "Bow Valley IMS &amp; Physiotherapy" in today
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=workers.HANG_GUARD_SECONDS)
    assert "practitioner  demo-practitioner-ims" in output
