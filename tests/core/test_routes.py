"""Every route is inventoried, and anonymous requests to protected routes are turned away."""

import re
import uuid

import pytest

from imsclinic.core.routes import PROTECTED_ROUTES, PUBLIC_ROUTES, iter_routes


def _concrete_path(pattern: str) -> str:
    """Fill converters with plausible values so the route resolves."""

    def fill(match):
        converter = match.group(1) or "str"
        values = {"uuid": str(uuid.uuid4()), "uuidstr": str(uuid.uuid4()), "int": "1"}
        return values.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, pattern)


def test_every_route_is_listed_as_public_or_protected():
    served = {pattern for pattern, _ in iter_routes()}
    unlisted = served - PUBLIC_ROUTES - PROTECTED_ROUTES
    assert not unlisted, f"Add these routes to imsclinic/core/routes.py: {sorted(unlisted)}"


def test_no_route_is_both_public_and_protected():
    assert not PUBLIC_ROUTES & PROTECTED_ROUTES


def test_every_listed_route_still_exists():
    served = {pattern for pattern, _ in iter_routes()}
    stale = (PUBLIC_ROUTES | PROTECTED_ROUTES) - served
    assert not stale, f"Remove these from imsclinic/core/routes.py: {sorted(stale)}"


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", sorted(PROTECTED_ROUTES))
def test_anonymous_request_to_protected_route_is_turned_away(client, pattern):
    path = _concrete_path(pattern)
    statuses = {}
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        statuses[method] = response.status_code
        if pattern.startswith("api/"):
            # An API path answers 401 to every method it serves (405 to the ones it does not).
            assert response.status_code in (401, 405), f"{method.upper()} {path}"
        else:
            assert response.status_code == 302, f"{method.upper()} {path}"
            assert response["Location"].startswith("/accounts/login/"), f"{method.upper()} {path}"
    assert 401 in statuses.values() or not pattern.startswith("api/"), statuses


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", sorted(PUBLIC_ROUTES))
def test_public_route_answers_anonymous_without_server_error(client, pattern):
    response = client.get(_concrete_path(pattern))
    assert response.status_code < 500
