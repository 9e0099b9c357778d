"""/api/v1/admin: staff and roles, services, for a clinic admin (and the "admin" token scope)."""

import pytest
from django.test import Client

from imsclinic.audit.models import AuditEvent
from imsclinic.gateway import actions as gateway_actions
from imsclinic.scheduling.models import Service, create_default_services

pytestmark = pytest.mark.django_db


def api_as(user):
    client = Client()
    client.force_login(user)
    return client


def test_staff_list_and_roles(olivia, alice, bob, clinic_a):
    api = api_as(olivia)
    listed = api.get("/api/v1/admin/staff").json()
    assert {row["username"]: row["roles"] for row in listed} == {
        "alice": ["practitioner"],
        "bob": ["front_desk"],
        "olivia": ["clinic_admin"],
    }
    response = api.put(
        f"/api/v1/admin/staff/{bob.uuid}",
        {"roles": ["front_desk", "practitioner"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["front_desk", "practitioner"]
    assert AuditEvent.objects.filter(action="staff.roles").count() == 1
    last_admin = api.put(
        f"/api/v1/admin/staff/{olivia.uuid}",
        {"roles": ["practitioner"]},
        content_type="application/json",
    )
    assert last_admin.status_code == 409
    assert "at least one clinic admin" in last_admin.json()["detail"]


def test_non_admins_are_refused(alice, bob, carol, olivia):
    for person in (alice, bob):
        assert api_as(person).get("/api/v1/admin/staff").status_code == 403
        assert api_as(person).get("/api/v1/admin/services").status_code == 403
    assert api_as(carol).get(f"/api/v1/admin/staff/{alice.uuid}").status_code == 404
    assert Client().get("/api/v1/admin/staff").status_code == 401


def test_services_create_update_and_refusals(olivia, clinic_a, clinic_b):
    create_default_services(clinic_a)
    api = api_as(olivia)
    created = api.post(
        "/api/v1/admin/services",
        {
            "name": "Video evaluation",
            "kind": "initial_assessment",
            "mode": "video",
            "duration_minutes": 45,
            "price": "90.00",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    service_uuid = created.json()["uuid"]
    patched = api.patch(
        f"/api/v1/admin/services/{service_uuid}",
        {"price": "95.50", "is_active": False},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["price"] == "95.50" and patched.json()["is_active"] is False
    duplicate = api.post(
        "/api/v1/admin/services",
        {"name": "Video evaluation", "kind": "initial_assessment", "duration_minutes": 45},
        content_type="application/json",
    )
    assert duplicate.status_code == 409
    bad = api.post(
        "/api/v1/admin/services",
        {"name": "x", "kind": "initial_assessment", "duration_minutes": 1, "colour": "blue"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    other = create_default_services(clinic_b)[0]
    assert api.get(f"/api/v1/admin/services/{other.uuid}").status_code == 404
    assert Service.objects.filter(clinic=clinic_a, name="Video evaluation").count() == 1


def test_an_integration_token_needs_the_admin_scope(olivia, clinic_a):
    _, reader = gateway_actions.create_integration_token(
        clinic=clinic_a, by=olivia, name="Reader", scopes=["read"]
    )
    _, admin = gateway_actions.create_integration_token(
        clinic=clinic_a, by=olivia, name="Admin", scopes=["admin"]
    )
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {reader}").get("/api/v1/admin/staff").status_code == 403
    )
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {admin}").get("/api/v1/admin/staff").status_code == 200
    )
    listed = Client(HTTP_AUTHORIZATION=f"Bearer {admin}").get("/api/v1/admin/staff").json()
    assert [row["username"] for row in listed] == ["olivia"]  # no integration service users


def test_an_integration_user_does_not_count_as_the_clinics_admin(olivia, alice, clinic_a):
    from imsclinic.clinics import actions

    gateway_actions.create_integration_token(
        clinic=clinic_a, by=olivia, name="Sync", scopes=["read"]
    )
    with pytest.raises(actions.AdminError):
        actions.set_roles(clinic=clinic_a, user=olivia, roles={"practitioner"}, by=olivia)
