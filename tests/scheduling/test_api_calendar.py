"""The API for reschedule, closures and an appointment's outbox follows the UI's rules."""

import datetime
import json

import pytest
from django.test import Client

from imsclinic.scheduling.models import Appointment, Closure, Status
from tests.factories import AppointmentFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db
BASE = "/api/v1/scheduling"


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_reschedule_via_api_links_and_refuses_closed_days(
    client, bob, alice, clinic_a, open_hours, django_capture_on_commit_callbacks
):
    old = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 2, 10))
    closed = at(clinic_a, 4, 10)
    Closure.objects.create(clinic=clinic_a, date=closed.astimezone(clinic_a.tz).date(), name="Fire")
    client.force_login(bob)
    url = f"{BASE}/appointments/{old.uuid}/reschedule"
    refused = post(client, url, {"starts_at": closed.isoformat()})
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "series_conflict" and "closed (Fire)" in body["conflicts"][0]["reason"]
    alternative = body["conflicts"][0]["alternatives"][0]
    with django_capture_on_commit_callbacks(execute=True):
        moved = post(
            client, url, {"starts_at": closed.isoformat(), "replacements": {"0": alternative}}
        )
    assert moved.status_code == 200, moved.content
    (new,) = moved.json()
    assert datetime.datetime.fromisoformat(new["starts_at"]) == datetime.datetime.fromisoformat(
        alternative
    )
    assert Appointment.objects.get(uuid=new["uuid"]).rescheduled_from == old
    assert Appointment.objects.get(pk=old.pk).status == Status.CANCELLED
    outbox = client.get(f"{BASE}/appointments/{new['uuid']}/notifications").json()
    assert [(n["kind"], n["channel"]) for n in outbox if n["state"] != "scheduled"] == [
        ("reschedule", "email")
    ]
    assert {(n["kind"], n["lead_hours"]) for n in outbox if n["state"] == "scheduled"} == {
        ("reminder", 24)
    }


def test_closures_api_adds_lists_holidays_and_removes(client, bob, alice, clinic_a):
    client.force_login(bob)
    day = clinic_a.today() + datetime.timedelta(days=10)
    created = post(client, f"{BASE}/closures", {"date": day.isoformat(), "name": "Inventory"})
    assert created.status_code == 201
    assert (
        post(client, f"{BASE}/closures", {"date": day.isoformat(), "name": "x"}).status_code == 409
    )
    added = post(client, f"{BASE}/closures/holidays", {"year": clinic_a.today().year + 1})
    assert added.status_code == 201 and any(c["name"] == "Christmas Day" for c in added.json())
    listed = client.get(f"{BASE}/closures").json()
    assert listed[0]["name"] == "Inventory" and listed[0]["source"] == "clinic"
    practitioner = Client()
    practitioner.force_login(alice)
    uuid = created.json()["uuid"]
    assert practitioner.delete(f"{BASE}/closures/{uuid}").status_code == 403
    assert (
        post(practitioner, f"{BASE}/closures", {"date": day.isoformat(), "name": "y"}).status_code
        == 403
    )
    assert client.delete(f"{BASE}/closures/{uuid}").status_code == 204
    assert not Closure.objects.filter(uuid=uuid).exists()


def test_reschedule_and_closures_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths[f"{BASE}/appointments/{{appointment_uuid}}/reschedule"]
    assert {"get", "post"} <= set(paths[f"{BASE}/closures"])
    assert "get" in paths[f"{BASE}/appointments/{{appointment_uuid}}/notifications"]
