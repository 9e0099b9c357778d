"""The authorisation matrix: every protected object route, every member of the cast.

Fails when a protected route with a UUID parameter has no entry in the registry
(tests/trust/authz_registry.py or tests/<area>/authz.py), so a new object route cannot ship
without someone stating who may open it. See docs/security.md for the experiment showing that
removing the clinic scoping from the getter turns these tests red.
"""

import re
from types import SimpleNamespace

import pytest

from imsclinic.core.routes import PROTECTED_ROUTES
from tests.factories import PatientFactory
from tests.trust.authz_registry import STAFF, all_routes

ROUTES = all_routes()
# Routes naming an object by UUID, plus registered routes naming it by another id (the FHIR
# billing reads' "<resource_id>", e.g. "<invoice uuid>-l0" for a ChargeItem).
OBJECT_ROUTES = sorted(p for p in PROTECTED_ROUTES if re.search(r"<uuid(str)?:", p) or p in ROUTES)


def url_for(pattern: str, kwargs: dict, query: str = "") -> str:
    def fill(match):
        return str(kwargs[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, pattern) + (f"?{query}" if query else "")


def test_every_protected_object_route_has_a_matrix_entry():
    missing = [p for p in OBJECT_ROUTES if p not in ROUTES]
    assert not missing, (
        "These protected object routes have no authorisation-matrix entry. Add a Route(...) to "
        f"tests/<area>/authz.py (see docs/security.md): {missing}"
    )


def test_every_matrix_entry_is_a_protected_route():
    stale = sorted(set(ROUTES) - set(PROTECTED_ROUTES))
    assert not stale, f"Matrix entries for routes that are not protected/served: {stale}"


@pytest.fixture
def world(cast, clinic_a, clinic_b, patient_a, patient_b):
    other = PatientFactory(clinic=clinic_a, given_name="Otto", family_name="Sameclinic")
    return SimpleNamespace(
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        patient_a=patient_a,
        patient_b=patient_b,
        other_patient_a=other,
        **cast,
    )


def _get(client, user, url, is_api):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url, HTTP_ACCEPT="application/json" if is_api else "text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", [p for p in OBJECT_ROUTES if p in ROUTES])
def test_matrix(client, world, pattern):
    route = ROUTES[pattern]
    url = url_for(pattern, route.make(world, world.patient_a), route.query)
    outcomes = {}
    for who in STAFF:
        outcomes[who] = _get(client, getattr(world, who), url, route.is_api).status_code
    outcomes["carol"] = _get(client, world.carol, url, route.is_api).status_code
    outcomes["pat"] = _get(client, world.pat, url, route.is_api).status_code
    anonymous = _get(client, None, url, route.is_api)

    expected = {who: (route.status if who in route.allowed else 403) for who in STAFF}
    expected["carol"] = 404
    expected["pat"] = route.status if route.portal else outcomes["pat"]
    assert outcomes == expected, f"{url}: got {outcomes}, expected {expected}"
    if not route.portal:
        assert outcomes["pat"] in (403, 404), f"portal patient reached staff route {url}"
    else:
        other_url = url_for(pattern, route.make(world, world.other_patient_a), route.query)
        assert _get(client, world.pat, other_url, route.is_api).status_code == 404
    if route.is_api:
        assert anonymous.status_code == 401
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
