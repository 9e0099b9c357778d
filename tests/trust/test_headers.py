"""Security headers on real responses, in development and in production mode."""

import json
import os
import subprocess
import sys

import pytest

from tests import workers

pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.parametrize("path", ["/accounts/login/", "/patients/", "/no-such-page/"])
def test_every_page_carries_a_strict_csp_and_the_basic_headers(client, alice, path):
    client.force_login(alice)
    response = client.get(path)
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_api_responses_carry_the_headers_too(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/patients")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_or_style(client, alice, patient_a):
    """CSP would block them anyway; this catches them before a browser does."""
    client.force_login(alice)
    for path in [
        "/accounts/login/",
        "/patients/",
        f"/patients/{patient_a.uuid}/",
        f"/patients/{patient_a.uuid}/edit/",
        "/accounts/2fa/",
        "/accounts/2fa/setup/",
    ]:
        body = client.get(path).content.decode()
        assert "style=" not in body, path
        assert " onclick=" not in body and " onload=" not in body, path
        for chunk in body.split("<script")[1:]:
            assert chunk.split(">")[0].strip().startswith("src="), f"inline script on {path}"


PRODUCTION_PROBE = """
import django, json, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'imsclinic.settings'
django.setup()
from django.test import Client
r = Client().get('/accounts/login/', secure=True, HTTP_HOST='clinic.example.org')
cookie = r.cookies['csrftoken']
print(json.dumps({'status': r.status_code, 'hsts': r.get('Strict-Transport-Security'),
    'csrf_secure': bool(cookie['secure']), 'csp': r.get('Content-Security-Policy')}))
from django.conf import settings
print(json.dumps({'session_secure': settings.SESSION_COOKIE_SECURE,
    'session_httponly': settings.SESSION_COOKIE_HTTPONLY, 'redirect': settings.SECURE_SSL_REDIRECT}))
r = Client().get('/accounts/login/', HTTP_HOST='clinic.example.org')
print(json.dumps({'plain_http': r.status_code, 'location': r.get('Location')}))
import re
page = Client().get('/accounts/login/', secure=True, HTTP_HOST='clinic.example.org')
href = re.search(r'href="(/static/imsclinic/app\\.[0-9a-f]{12}\\.css)"', page.text).group(1)
r = Client().get(href, secure=True, HTTP_HOST='clinic.example.org')
print(json.dumps({'stylesheet': href, 'status': r.status_code}))
"""


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        IMSCLINIC_ENV="production",
        IMSCLINIC_SECRET_KEY="k" * 20 + "Zq8-x" * 10,
        IMSCLINIC_AUDIT_KEY="a" * 16 + "Wm3-p" * 8,
        IMSCLINIC_ALLOWED_HOSTS="clinic.example.org",
        IMSCLINIC_DATA_DIR=str(tmp_path),
        IMSCLINIC_STATIC_ROOT=str(tmp_path / "static"),
    )
    subprocess.run(
        [sys.executable, "-m", "imsclinic.cli", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    # Django admin is not routed in production, so none of its static files are collected.
    assert (tmp_path / "static" / "imsclinic").is_dir()
    assert not (tmp_path / "static" / "admin").exists()
    # Only the hashed names the pages link to are kept (and compressed).
    assert not (tmp_path / "static" / "imsclinic" / "app.css").exists()
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    first, second, third, stylesheet = (
        json.loads(line) for line in result.stdout.splitlines()[-4:]
    )
    assert stylesheet["status"] == 200, stylesheet
    assert first["status"] == 200
    assert first["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert first["csrf_secure"] is True
    assert "'unsafe-inline'" not in first["csp"]
    assert second == {"session_secure": True, "session_httponly": True, "redirect": True}
    assert third["plain_http"] == 301 and third["location"].startswith("https://")
