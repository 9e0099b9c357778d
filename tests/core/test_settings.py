"""Settings come from the environment, and production refuses unsafe ones."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests import workers

GOOD_SECRET = "k" * 20 + "Zq8-x" * 10
GOOD_AUDIT_KEY = "a" * 16 + "Wm3-p" * 8


def run_django(env_overrides, *args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    # The browser tests relax Django's async guard in this process; a deployment must not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({"IMSCLINIC_DATA_DIR": str(tmp_path), "IMSCLINIC_STATIC_ROOT": str(tmp_path / "s")})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )


@pytest.mark.parametrize("secret", [None, "changeme", "short-secret"])
def test_production_refuses_missing_or_placeholder_secret(tmp_path, secret):
    env = {"IMSCLINIC_ENV": "production", "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org"}
    if secret:
        env["IMSCLINIC_SECRET_KEY"] = secret
    result = run_django(env, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "IMSCLINIC_SECRET_KEY" in result.stderr


def test_production_refuses_debug(tmp_path):
    env = {
        "IMSCLINIC_ENV": "production",
        "IMSCLINIC_SECRET_KEY": GOOD_SECRET,
        "IMSCLINIC_DEBUG": "true",
    }
    result = run_django(env, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "IMSCLINIC_DEBUG" in result.stderr


@pytest.mark.parametrize("audit_key", [None, "changeme", "too-short-for-an-hmac-key"])
def test_production_refuses_a_missing_or_weak_audit_key(tmp_path, audit_key):
    """The audit chains' key must come from outside the database; production never invents one."""
    env = {
        "IMSCLINIC_ENV": "production",
        "IMSCLINIC_SECRET_KEY": GOOD_SECRET,
        "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org",
    }
    if audit_key:
        env["IMSCLINIC_AUDIT_KEY"] = audit_key
    result = run_django(env, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "IMSCLINIC_AUDIT_KEY" in result.stderr
    assert not (tmp_path / "audit.key").exists()


def test_production_reads_the_audit_key_from_a_file(tmp_path):
    key_file = tmp_path / "audit-key"
    key_file.write_text(GOOD_AUDIT_KEY + "\n")
    env = {
        "IMSCLINIC_ENV": "production",
        "IMSCLINIC_SECRET_KEY": GOOD_SECRET,
        "IMSCLINIC_AUDIT_KEY_FILE": str(key_file),
        "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org",
    }
    result = run_django(env, "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    env = {
        "IMSCLINIC_ENV": "production",
        "IMSCLINIC_SECRET_KEY": GOOD_SECRET,
        "IMSCLINIC_AUDIT_KEY": GOOD_AUDIT_KEY,
        "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org",
    }
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(GOOD_SECRET)
    env = {
        "IMSCLINIC_ENV": "production",
        "IMSCLINIC_SECRET_KEY_FILE": str(secret_file),
        "IMSCLINIC_AUDIT_KEY": GOOD_AUDIT_KEY,
        "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org",
    }
    assert run_django(env, "check", tmp_path=tmp_path).returncode == 0


@pytest.mark.django_db
def test_sqlite_connection_is_tuned_for_durability_and_concurrency(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.SQLITE_BUSY_TIMEOUT_SECONDS * 1000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_database_url_selects_postgresql_with_a_pool(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='imsclinic.settings';"
        "from django.conf import settings as s; db=s.DATABASES['default'];"
        "print(db['ENGINE'], db['NAME'], 'pool' in db['OPTIONS'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/test"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["django.db.backends.postgresql", "test", "True"]


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-specific")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def _settings_in_a_fresh_process(env_overrides: dict, expression: str, tmp_path):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='imsclinic.settings';"
        f"from django.conf import settings as s; print({expression})"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.update({"IMSCLINIC_DATA_DIR": str(tmp_path), "IMSCLINIC_STATIC_ROOT": str(tmp_path / "s")})
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_cache_url_puts_chart_sections_and_rate_limits_in_one_redis_cache(tmp_path):
    """One cache setting: a later block once replaced IMSCLINIC_CACHE_URL's Redis with a
    per-process memory cache, so a second server never shared a chart section."""
    result = _settings_in_a_fresh_process(
        {"IMSCLINIC_CACHE_URL": "redis://127.0.0.1:6379/9", "IMSCLINIC_CACHE_PREFIX": "p1"},
        "s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'],"
        "s.CACHES['default']['KEY_PREFIX'], s.RATELIMIT_USE_CACHE",
        tmp_path,
    )
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/9",
        "p1",
        "default",
    ], result.stderr


def test_the_old_redis_variable_is_refused_not_ignored(tmp_path):
    result = _settings_in_a_fresh_process(
        {"IMSCLINIC_REDIS_URL": "redis://127.0.0.1:6379/0"}, "s.CACHES", tmp_path
    )
    assert result.returncode != 0
    assert "set IMSCLINIC_CACHE_URL=redis://" in result.stderr
