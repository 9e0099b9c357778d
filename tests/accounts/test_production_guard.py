"""Demo accounts never run in production; Django admin is off in production and every admin
change in development is audited (issue 13, finding 7)."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from tests import workers

GOOD_SECRET = "k" * 20 + "Zq8-x" * 10


def _env(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        IMSCLINIC_DATA_DIR=str(tmp_path),
        IMSCLINIC_STATIC_ROOT=str(tmp_path / "static"),
        IMSCLINIC_ENV="production",
        IMSCLINIC_SECRET_KEY=GOOD_SECRET,
        IMSCLINIC_AUDIT_KEY="b" * 16 + "Qx7-k" * 8,
        IMSCLINIC_ALLOWED_HOSTS="127.0.0.1",
        IMSCLINIC_SSL_REDIRECT="false",
    )
    env.update(overrides)
    return env


def _imsclinic(env, *args, timeout=workers.HANG_GUARD_SECONDS):
    return subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_users(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "imsclinic.sqlite3") as db:
        return db.execute("SELECT count(*) FROM accounts_user WHERE is_demo_account").fetchone()[0]


@pytest.mark.slow
@pytest.mark.xdist_group("migrated-data-dir")
def test_production_serve_on_an_empty_database_creates_no_demo_accounts(
    tmp_path, migrated_data_dir_template
):
    # Migrated but empty: no clinic, no user (tests/core/test_serve.py serves an unmigrated one).
    workers.copy_migrated_data_dir(migrated_data_dir_template, tmp_path)
    port = _free_port()
    env = _env(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "imsclinic.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + workers.HANG_GUARD_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            except OSError:  # not listening yet (URLError, connection refused, timeout)
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=workers.HANG_GUARD_SECONDS)
    assert _demo_users(tmp_path) == 0
    with sqlite3.connect(tmp_path / "imsclinic.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM accounts_clinic").fetchone()[0] == 0
    assert "demo-practitioner-ims" not in output


@pytest.mark.slow
@pytest.mark.xdist_group("migrated-data-dir")
def test_production_refuses_to_start_while_demo_accounts_exist(
    tmp_path, migrated_data_dir_template
):
    workers.copy_migrated_data_dir(migrated_data_dir_template, tmp_path)
    development = _env(tmp_path, IMSCLINIC_ENV="development")
    created = _imsclinic(
        development,
        "shell",
        "-c",
        "from imsclinic.accounts.models import User; "
        "User.objects.create_user('frontdesk', password='demo-frontdesk-ims', is_demo_account=True)",
    )
    assert created.returncode == 0, created.stderr
    refused = _imsclinic(_env(tmp_path), "serve", "--port", str(_free_port()))
    assert refused.returncode != 0
    assert "demo accounts with published passwords are active (frontdesk)" in refused.stderr
    # A worker loading the WSGI app directly refuses too.
    worker = subprocess.run(
        [sys.executable, "-c", "import imsclinic.wsgi"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    assert worker.returncode != 0 and "Production refuses to start" in worker.stderr
    # The demo builder is a development tool: production does not even have the command.
    assert "Unknown command: 'demo'" in _imsclinic(_env(tmp_path), "demo").stderr


def test_django_admin_is_not_routed_in_production(tmp_path):
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/django-admin/'); print('routed')\n"
        "except Resolver404:\n    print('absent')\n"
    )
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE="imsclinic.settings")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    assert result.stdout.strip() == "absent", result.stderr
    development = _env(
        tmp_path, IMSCLINIC_ENV="development", DJANGO_SETTINGS_MODULE="imsclinic.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=development,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    assert result.stdout.strip() == "routed", result.stderr


@pytest.mark.django_db
def test_an_admin_edit_in_development_is_audited(client, patient_a):
    from tests.factories import UserFactory

    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:patients_patient_change", args=[patient_a.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data[name] = value if not hasattr(field, "prepare_value") else field.prepare_value(value)
    data["given_name"] = "Renamed"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    patient_a.refresh_from_db()
    assert patient_a.given_name == "Renamed"
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor_username == "operator"
    assert event.patient_uuid == patient_a.uuid
    assert "Given name" in str(event.details["change"]) or "given" in str(event.details).lower()
