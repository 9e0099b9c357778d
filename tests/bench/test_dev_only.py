"""The product ships only the product: the bench harness and the demo builders are development
tools, absent from a production server's apps, middleware, URLs, commands and API schema."""

import json

import pytest

from tests.core.test_settings import GOOD_SECRET, run_django

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve, Resolver404
from imsclinic.api import api

try:
    resolve("/bench/hello")
    hello = True
except Resolver404:
    hello = False
schema = api.get_openapi_schema()
tags = sorted({tag for path in schema["paths"].values() for op in path.values() for tag in op.get("tags", [])})
print(json.dumps({
    "apps": settings.INSTALLED_APPS,
    "middleware": settings.MIDDLEWARE,
    "hello": hello,
    "commands": sorted(get_commands()),
    "tags": tags,
}))
"""


def _probe(tmp_path, **env):
    base = {
        "IMSCLINIC_SECRET_KEY": GOOD_SECRET,
        "IMSCLINIC_AUDIT_KEY": "c" * 16 + "Vb4-w" * 8,
        "IMSCLINIC_ALLOWED_HOSTS": "clinic.example.org",
    }
    result = run_django({**base, **env}, "shell", "-c", PROBE, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_has_no_bench_app_middleware_url_or_demo_command(tmp_path):
    found = _probe(tmp_path, IMSCLINIC_ENV="production")
    assert "imsclinic.bench" not in found["apps"]
    assert not any("bench" in name for name in found["middleware"])
    assert found["hello"] is False
    assert "bench" not in found["commands"]
    assert "bench_setup" not in found["commands"]
    assert "demo" not in found["commands"]


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_api_schema_has_no_empty_bench_or_reports_section(tmp_path, environment):
    found = _probe(tmp_path, IMSCLINIC_ENV=environment)
    assert "bench" not in found["tags"]
    assert "reports" not in found["tags"]
    assert "patients" in found["tags"]  # the probe does see the real API


def test_development_keeps_bench_and_demo(tmp_path):
    found = _probe(tmp_path, IMSCLINIC_ENV="development")
    assert "imsclinic.bench" in found["apps"]
    assert found["hello"] is True
    assert {"bench", "bench_setup", "demo"} <= set(found["commands"])


def test_the_bench_turns_the_tools_on_for_its_own_production_servers(tmp_path):
    found = _probe(tmp_path, IMSCLINIC_ENV="production", IMSCLINIC_DEV_TOOLS="true")
    assert "imsclinic.bench" in found["apps"]
    assert found["hello"] is True
