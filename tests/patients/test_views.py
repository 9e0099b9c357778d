"""Patient pages: the access matrix, the access log, search and registration."""

import pytest
from django.db import connection
from django.urls import reverse

from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.patients.forms import DEMOGRAPHIC_FIELDS
from imsclinic.patients.models import Patient
from imsclinic.patients.views import access_rows
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def chart_url(patient):
    return reverse("patients:chart", args=[patient.uuid])


@pytest.mark.parametrize("who", ["alice", "bob", "olivia"])
def test_chart_is_open_to_staff_of_the_patients_clinic(client, cast, patient_a, who):
    client.force_login(cast[who])
    response = client.get(chart_url(patient_a))
    assert response.status_code == 200
    assert patient_a.family_name in response.content.decode()


@pytest.mark.parametrize(("code", "shown"), [("fr", "French"), ("pa", "Punjabi"), ("de", "de")])
def test_chart_names_the_preferred_language(client, alice, patient_a, code, shown):
    """The registry's language codes read as names; a code the list lacks (sent through the
    API) is shown as given."""
    Patient.objects.filter(pk=patient_a.pk).update(preferred_language=code)
    client.force_login(alice)
    page = client.get(chart_url(patient_a)).content.decode()
    assert f"<dt>Preferred language</dt><dd>{shown}</dd>" in page


def test_chart_of_another_clinic_is_not_found(client, carol, patient_a):
    client.force_login(carol)
    assert client.get(chart_url(patient_a)).status_code == 404
    assert client.get(reverse("patients:edit", args=[patient_a.uuid])).status_code == 404


def test_anonymous_chart_request_goes_to_login(client, patient_a):
    response = client.get(chart_url(patient_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_portal_patient_cannot_open_the_staff_chart(client, pat, patient_a):
    client.force_login(pat)
    assert client.get(chart_url(patient_a)).status_code == 403


def test_each_chart_view_adds_one_access_log_row(client, alice, patient_a):
    client.force_login(alice)
    before = ChartAccess.objects.count()
    client.get(chart_url(patient_a), REMOTE_ADDR="10.1.2.3")
    client.get(chart_url(patient_a), REMOTE_ADDR="10.1.2.3")
    rows = list(ChartAccess.objects.order_by("id")[before:])
    assert len(rows) == 2
    assert rows[0].username == "alice"
    assert rows[0].roles == "practitioner"
    assert rows[0].patient_uuid == patient_a.uuid
    assert rows[0].clinic_id == patient_a.clinic_id
    assert rows[0].what == "chart.summary"
    assert rows[0].ip_address == "10.1.2.3"


def test_refused_chart_view_logs_nothing(client, carol, patient_a):
    client.force_login(carol)
    client.get(chart_url(patient_a))
    assert not ChartAccess.objects.filter(patient_uuid=patient_a.uuid).exists()


def test_clinic_admin_pages_through_who_opened_the_chart(client, alice, olivia, patient_a):
    client.force_login(alice)
    client.get(chart_url(patient_a))
    client.force_login(olivia)
    response = client.get(reverse("patients:access-log", args=[patient_a.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice" in body and "Chart: summary" in body and "<td>Practitioner</td>" in body
    # The log's internal names (part "chart.summary", role "practitioner") are not shown.
    assert "chart.summary" not in body and "<td>practitioner</td>" not in body


def test_access_log_pages_read_the_patients_index_newest_first(client, alice, patient_a):
    client.force_login(alice)
    for url in ("patients:chart", "clinical:sessions", "clinical:course"):
        assert client.get(reverse(url, args=[patient_a.uuid])).status_code == 200
    rows = list(access_rows(patient_a))
    assert [row.what for row in rows] == ["chart.course", "chart.sessions", "chart.summary"]
    if connection.vendor == "sqlite":  # PostgreSQL's planner may scan a table this small
        plan = access_rows(patient_a)[:50].explain()
        assert "USING INDEX chartaccess_patient_idx (patient_uuid=?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_access_log_is_for_clinic_admins_only(client, cast, patient_a, who):
    client.force_login(cast[who])
    assert client.get(reverse("patients:access-log", args=[patient_a.uuid])).status_code == 403


def test_search_by_name_birth_date_and_phone(client, bob, clinic_a, clinic_b):
    ann = PatientFactory(
        clinic=clinic_a,
        given_name="Ann",
        family_name="Smith",
        phone="(403) 555-0199",
        date_of_birth="1970-03-04",
    )
    PatientFactory(clinic=clinic_a, given_name="Zed", family_name="Jones", phone="403-555-7777")
    PatientFactory(clinic=clinic_b, given_name="Ann", family_name="Smithers")  # other clinic
    client.force_login(bob)
    for query in ["smi", "ann smi", "Smith, Ann", "1970-03-04", "555-0199", "4035550199"]:
        body = client.get(reverse("patients:list"), {"q": query}).content.decode()
        assert "Smith" in body, query
        assert "Jones" not in body, query
        assert "Smithers" not in body, query
    assert ann.uuid


def test_register_patient_creates_record_and_audit_event(client, bob):
    client.force_login(bob)
    response = client.post(
        reverse("patients:create"),
        {
            "given_name": "Élodie",
            "family_name": "Côté",
            "date_of_birth": "1984-07-09",
            "sex": "female",
            "phone": "(587) 555-0101",
            "preferred_language": "fr",
        },
    )
    patient = Patient.objects.get(family_name="Côté")
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    assert patient.chart_number == "000001"
    event = AuditEvent.objects.get(action="patient.create")
    assert event.actor_username == "bob" and event.patient_uuid == patient.uuid


def test_invalid_registration_shows_a_clear_message_and_saves_nothing(client, bob):
    client.force_login(bob)
    response = client.post(
        reverse("patients:create"),
        {
            "given_name": "",
            "family_name": "Future",
            "date_of_birth": "2999-01-01",
            "phone": "12",
            "preferred_language": "en",
            "sex": "female",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in body
    assert "Date of birth cannot be in the future." in body
    assert "This field is required." in body
    assert "7 to 15 digits" in body
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.create").exists()


def test_edit_records_changed_field_names_not_values(client, bob, patient_a):
    client.force_login(bob)
    data = {name: getattr(patient_a, name) for name in DEMOGRAPHIC_FIELDS}
    data.update(date_of_birth=patient_a.date_of_birth.isoformat(), phone="(403) 555-1234")
    response = client.post(reverse("patients:edit", args=[patient_a.uuid]), data)
    assert response.status_code == 302
    patient_a.refresh_from_db()
    assert patient_a.phone_digits == "4035551234"
    event = AuditEvent.objects.get(action="patient.update")
    assert event.details == {"fields": ["phone"]}
    assert "555-1234" not in event.summary
