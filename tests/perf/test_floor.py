"""The signed-in floor: what every signed-in request costs before its view does anything.

Budget (issue 14): at most 3 queries (the session, the user with their 2FA devices, and the roles
with their clinics). The 2FA decision costs no query of its own, yet is never stale: a clinic
that starts requiring 2FA, or a device the user enrols, is enforced on the very next request.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from imsclinic.accounts.models import Role
from tests.factories import ClinicFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.perf.floor_urls")]

FLOOR_QUERY_BUDGET = 3


def _get(client, url="/floor/"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, ctx.captured_queries


def test_a_bare_signed_in_view_costs_at_most_three_queries(client, alice, clinic_a):
    client.force_login(alice)
    _get(client)  # the first request stamps the session's sign-in time (a session write)
    response, queries = _get(client)
    assert response.status_code == 200
    assert response.content == str(clinic_a.pk).encode()
    assert len(queries) <= FLOOR_QUERY_BUDGET, "\n".join(q["sql"] for q in queries)


def test_the_floor_does_not_grow_with_the_number_of_clinics(client, alice, clinic_a):
    client.force_login(alice)
    _get(client)
    _, one_clinic = _get(client)
    for i in range(4):
        MembershipFactory(
            user=alice, clinic=ClinicFactory(slug=f"extra-{i}"), role=Role.PRACTITIONER
        )
    _, five_clinics = _get(client)
    assert len(five_clinics) == len(one_clinic)


def test_a_clinic_that_starts_requiring_2fa_is_enforced_on_the_next_request(
    client, alice, clinic_a
):
    client.force_login(alice)
    assert _get(client)[0].status_code == 200
    clinic_a.require_staff_2fa = True
    clinic_a.save(update_fields=["require_staff_2fa"])
    response, _ = _get(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/")


def test_a_device_enrolled_elsewhere_is_enforced_on_the_next_request(client, alice, clinic_a):
    client.force_login(alice)
    assert _get(client)[0].status_code == 200
    # Enrolled from another session (a phone): this session has not verified with it.
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    response, _ = _get(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/verify")


def test_an_unconfirmed_device_does_not_lock_the_user_out(client, alice, clinic_a):
    client.force_login(alice)
    TOTPDevice.objects.create(user=alice, name="half-enrolled", confirmed=False)
    assert _get(client)[0].status_code == 200


def test_a_removed_role_is_seen_on_the_next_request(client, alice, clinic_a):
    client.force_login(alice)
    assert _get(client)[0].status_code == 200
    alice.memberships.update(is_active=False)
    assert _get(client)[0].status_code == 403


def test_the_benchmarks_signed_in_view_is_the_same_floor(client, alice, clinic_a):
    """`imsclinic bench` measures the floor on /bench/signed-in (development tools only)."""
    client.force_login(alice)
    _get(client, "/bench/signed-in")
    response, queries = _get(client, "/bench/signed-in")
    assert response.status_code == 200
    assert len(queries) <= FLOOR_QUERY_BUDGET, "\n".join(q["sql"] for q in queries)
