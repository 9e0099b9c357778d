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


# What an anonymous visitor gets from each public route: converters hold the test clinic's slug
# or a made-up token. A change here is a change to the public surface, so it is spelled out.
ANONYMOUS_ANSWERS = {
    "": (302, "/clinics/clinic-a/"),  # the only clinic: straight to its public page
    "clinics/<slug:clinic_slug>/": (200, None),
    "clinics/<slug:clinic_slug>/logo.png": (404, None),  # a clinic without a logo
    "healthz": (200, None),
    "accounts/login/": (200, None),
    "accounts/logout/": (405, None),  # sign-out is a POST
    "accounts/password-reset/": (200, None),
    "accounts/password-reset/sent/": (200, None),
    "accounts/password-reset/<uidb64>/<token>/": (200, None),  # says the link is invalid
    "accounts/password-reset/complete/": (200, None),
    "api/v1/openapi.json": (200, None),
    "api/v1/docs": (200, None),
    "api/v1/": (404, None),
    "billing/online/webhook/": (405, None),  # a payment provider POSTs here (billing/online.py)
    "bench/hello": (200, None),
    "screening/": (302, "/screening/clinic-a/"),  # the only clinic: straight to its page
    "screening/<slug:clinic_slug>/": (200, None),
    # Steps that need the visitor's answers first send them back to the questions.
    "screening/<slug:clinic_slug>/result/": (302, "/screening/clinic-a/"),
    "screening/<slug:clinic_slug>/contact/": (302, "/screening/clinic-a/"),
    "screening/<slug:clinic_slug>/book/": (302, "/screening/clinic-a/"),
    "screening/<slug:clinic_slug>/booked/": (302, "/screening/clinic-a/"),
    "screening/<slug:clinic_slug>/manage/<str:token>/": (404, None),  # a link we never signed
    "api/v1/screening": (405, None),  # POST only
    "portal/join/<str:token>/": (404, None),  # an unknown invitation
    "schedule/feed/<str:token>.ics": (404, None),  # an unknown feed token
    "schedule/waitlist/offer/<str:token>/": (404, None),  # a waitlist offer link we never signed
    "clinic-admin/invitation/<uidb64>/<token>/": (200, None),  # says the link no longer works
}


def test_every_public_route_has_an_expected_answer():
    assert set(ANONYMOUS_ANSWERS) == PUBLIC_ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", sorted(PUBLIC_ROUTES))
def test_public_route_gives_anonymous_visitors_the_expected_answer(client, clinic_a, pattern):
    path = re.sub(r"<slug:clinic_slug>", clinic_a.slug, pattern)
    response = client.get(_concrete_path(path))
    status, location = ANONYMOUS_ANSWERS[pattern]
    assert response.status_code == status
    assert response.get("Location") == location
