"""Services: the clinic admin lists, adds, edits and stops offering appointment types."""

from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling.models import Service, create_default_services

pytestmark = pytest.mark.django_db


def service_form(**changes):
    data = {
        "name": "Video follow-up",
        "kind": "initial_assessment",
        "mode": "video",
        "duration_minutes": "45",
        "buffer_minutes": "5",
        "colour": "#aa3366",
        "bookable_online": "on",
        "price": "110.50",
        "position": "5",
    }
    data.update(changes)
    return data


def test_add_edit_and_stop_offering_a_service(client, olivia, clinic_a):
    create_default_services(clinic_a)
    client.force_login(olivia)
    url = f"/clinic-admin/{clinic_a.uuid}/services/"
    page = client.get(url)
    assert page.status_code == 200 and b"Initial IMS assessment" in page.content
    assert client.post(url, service_form()).status_code == 302
    service = Service.objects.get(clinic=clinic_a, name="Video follow-up")
    assert service.price == Decimal("110.50") and service.bookable_online
    edit = client.post(f"{url}{service.uuid}/", service_form(duration_minutes="60", price="120"))
    assert edit.status_code == 302
    service.refresh_from_db()
    assert service.duration_minutes == 60 and service.price == Decimal("120.00")
    assert client.post(f"{url}{service.uuid}/active/").status_code == 302
    service.refresh_from_db()
    assert not service.is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="service.").values_list("action", flat=True)
    )
    assert actions == ["service.create", "service.update", "service.deactivate"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_minutes": "2"}, "greater than or equal to 5"),
        ({"price": "-1"}, "greater than or equal to 0"),
        ({"colour": "red"}, "colour"),
        ({"name": "Initial IMS assessment"}, "already has a service with that name"),
    ],
)
def test_bad_service_input_is_a_form_error(client, olivia, clinic_a, changes, message):
    create_default_services(clinic_a)
    client.force_login(olivia)
    count = Service.objects.count()
    response = client.post(f"/clinic-admin/{clinic_a.uuid}/services/", service_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Service.objects.count() == count


def test_another_clinics_service_is_not_found(client, olivia, clinic_a, clinic_b):
    other = create_default_services(clinic_b)[0]
    client.force_login(olivia)
    assert client.get(f"/clinic-admin/{clinic_a.uuid}/services/{other.uuid}/").status_code == 404
    assert client.get(f"/clinic-admin/{clinic_b.uuid}/services/").status_code == 404


def test_a_new_clinic_starts_from_the_usual_services(client, olivia, clinic_a):
    client.force_login(olivia)
    url = f"/clinic-admin/{clinic_a.uuid}/services/"
    assert b"Add the usual IMS services" in client.get(url).content
    assert client.post(url, {"defaults": "yes"}).status_code == 302
    assert Service.objects.filter(clinic=clinic_a, name="Initial IMS assessment").exists()
    assert AuditEvent.objects.filter(action="service.defaults").count() == 1
