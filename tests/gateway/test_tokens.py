"""API tokens: personal and integration tokens, scoping, revocation, the token command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from imsclinic.audit.models import AuditEvent
from imsclinic.gateway import actions
from imsclinic.gateway.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_command_prints_a_working_token(client, alice, patient_a):
    out = io.StringIO()
    call_command("token", "create", "alice", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("ims_")
    response = client.get(f"/api/v1/patients/{patient_a.uuid}", **bearer(raw))
    assert response.status_code == 200
    assert response.json()["family_name"] == patient_a.family_name
    stored = ApiToken.objects.get()
    assert stored.token_hash != raw and raw not in stored.token_hash
    assert AuditEvent.objects.filter(action="api_token.create").count() == 1


def test_token_command_refuses_unknown_user():
    with pytest.raises(CommandError, match="No user"):
        call_command("token", "create", "nobody")


def test_token_from_clinic_a_cannot_read_clinic_b_by_id(client, alice, patient_b):
    _, raw = actions.create_personal_token(user=alice, by=alice, name="t")
    assert client.get(f"/api/v1/patients/{patient_b.uuid}", **bearer(raw)).status_code == 404
    listed = client.get("/api/v1/patients", **bearer(raw)).json()["items"]
    assert patient_b.uuid.hex not in {p["uuid"].replace("-", "") for p in listed}


def test_integration_token_is_scoped_to_its_clinic_and_scopes(
    client, clinic_a, patient_a, patient_b
):
    _, raw = actions.create_integration_token(
        clinic=clinic_a, by=None, name="Insurer", scopes=["read"]
    )
    assert client.get(f"/api/v1/patients/{patient_a.uuid}", **bearer(raw)).status_code == 200
    assert client.get(f"/api/v1/patients/{patient_b.uuid}", **bearer(raw)).status_code == 404
    response = client.post(
        "/api/v1/patients",
        {"given_name": "A", "family_name": "B", "date_of_birth": "1980-01-01"},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_revoked_and_bogus_tokens_get_401(client, alice, patient_a):
    token, raw = actions.create_personal_token(user=alice, by=alice, name="t")
    actions.revoke_token(token=token, by=alice)
    assert client.get(f"/api/v1/patients/{patient_a.uuid}", **bearer(raw)).status_code == 401
    assert client.get("/api/v1/patients", **bearer("ims_not-a-token")).status_code == 401
    assert client.get("/api/v1/patients").status_code == 401


def test_api_create_validates_like_the_form(client, alice):
    _, raw = actions.create_personal_token(user=alice, by=alice, name="t")
    response = client.post(
        "/api/v1/patients",
        {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "2999-01-01", "phone": "12"},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 422
    fields = {error["loc"][-1] for error in response.json()["detail"]}
    assert fields == {"date_of_birth", "phone"}
    ok = client.post(
        "/api/v1/patients",
        {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1980-01-01"},
        content_type="application/json",
        **bearer(raw),
    )
    assert ok.status_code == 201
    assert ok.json()["chart_number"] == "000001"


def test_portal_patient_cannot_use_the_staff_api(client, pat, patient_a):
    client.force_login(pat)
    assert client.get(f"/api/v1/patients/{patient_a.uuid}").status_code == 403


def test_front_desk_cannot_get_a_token_for_a_portal_user(pat):
    with pytest.raises(actions.TokenError):
        actions.create_personal_token(user=pat, by=None, name="t")


@pytest.mark.parametrize(
    "query", ["offset=1078794206922327213834502144", "limit=100000", "offset=-1"]
)
def test_list_paging_out_of_bounds_is_a_422_not_a_500(client, alice, query):
    """Found by schemathesis: an offset beyond 64-bit integers used to crash the database."""
    client.force_login(alice)
    assert client.get(f"/api/v1/patients?{query}").status_code == 422


# ---- issue 13: tokens can be listed and revoked, expire by default, end with the account ------
def test_a_token_expires_after_90_days_by_default(alice):
    token, _ = actions.create_personal_token(user=alice, by=alice, name="t")
    lifetime = token.expires_at - token.created_at
    assert datetime.timedelta(days=89, hours=23) < lifetime <= datetime.timedelta(days=90)
    with pytest.raises(actions.TokenError, match="between 1 and 366 days"):
        actions.create_personal_token(user=alice, by=alice, name="t", expires_in_days=0)


def test_token_command_lists_tokens_without_their_secret(alice, olivia):
    _, raw = actions.create_personal_token(user=alice, by=alice, name="Lab import")
    revoked, _ = actions.create_personal_token(user=olivia, by=olivia, name="Old")
    actions.revoke_token(token=revoked, by=olivia)
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    listing = out.getvalue()
    assert raw[:12] in listing and "Lab import" in listing and "alice" in listing
    assert raw not in listing
    assert "Old" not in listing  # ended tokens only with --all
    everything = io.StringIO()
    call_command("token", "list", "--all", stdout=everything)
    assert "Revoked" in everything.getvalue() and "Old" in everything.getvalue()


def test_token_command_revokes_by_prefix(client, alice, patient_a):
    token, raw = actions.create_personal_token(user=alice, by=alice, name="t")
    call_command("token", "revoke", raw[:12], stdout=io.StringIO())
    assert client.get("/api/v1/patients", **bearer(raw)).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", actor_username="").count() == 1
    with pytest.raises(CommandError, match="No token"):
        call_command("token", "revoke", "ims_zzzzzzzz")
    with pytest.raises(CommandError, match="at least the first 8"):
        call_command("token", "revoke", "ims_")


def test_token_page_shows_and_revokes_my_own_tokens(client, alice, patient_a):
    token, raw = actions.create_personal_token(user=alice, by=alice, name="Scripts")
    client.force_login(alice)
    page = client.get("/api-tokens/").content.decode()
    assert "Scripts" in page and raw[:12] in page and raw not in page
    assert "Staff and integration tokens" not in page  # alice is not an admin
    response = client.post(f"/api-tokens/{token.uuid}/revoke/")
    assert response.status_code == 302
    assert "Revoked" in client.get("/api-tokens/").content.decode()
    assert Client().get("/api/v1/patients", **bearer(raw)).status_code == 401


def test_clinic_admin_revokes_a_staff_token_and_others_cannot(client, alice, bob, olivia, carol):
    token, raw = actions.create_personal_token(user=alice, by=alice, name="Scripts")
    client.force_login(bob)
    assert client.post(f"/api-tokens/{token.uuid}/revoke/").status_code == 403
    client.force_login(carol)
    assert client.post(f"/api-tokens/{token.uuid}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(olivia)
    assert "Scripts" in client.get("/api-tokens/").content.decode()
    assert client.post(f"/api-tokens/{token.uuid}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor_username == "olivia"
