"""A screening request that becomes a patient gets the same duplicate check as registration by
hand: candidates are listed and nothing is saved until staff attach the request to one of them
or register anyway; an exact match (name, birth date and the email or phone the person gave)
attaches by itself."""

import datetime

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.patients.models import Patient
from imsclinic.screening.models import EvaluationRequest
from tests.factories import EvaluationRequestFactory, PatientFactory

pytestmark = pytest.mark.django_db


def person(**changes):
    data = {
        "given_name": "Ruth",
        "family_name": "Ames",
        "date_of_birth": "1971-02-03",
        "sex": "female",
        "phone": "(403) 555-0100",
        "email": "ruth@example.org",
        "preferred_language": "en",
    }
    data.update(changes)
    return data


@pytest.fixture
def chart(clinic_a):
    return PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Amés",
        date_of_birth=datetime.date(1971, 2, 3),
        email="someone.else@example.org",
        phone="",
    )


def convert(client, request, **data):
    return client.post(reverse("screening:request-patient", args=[request.uuid]), data)


def test_a_near_match_is_listed_and_nothing_is_saved(client, bob, clinic_a, chart):
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Ruth", family_name="Ames")
    client.force_login(bob)
    response = convert(client, request, **person(given_name="ruth"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Possible duplicates" in page and f"chart {chart.chart_number}" in page
    assert "Same name, same date of birth" in page
    assert f"Attach to chart {chart.chart_number}" in page
    assert Patient.objects.count() == 1
    assert EvaluationRequest.objects.get(pk=request.pk).patient is None


def test_staff_attach_the_request_to_the_existing_chart(client, bob, clinic_a, chart):
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Ruth", family_name="Ames")
    client.force_login(bob)
    response = client.post(
        reverse("screening:request-attach", args=[request.uuid]), {"patient": str(chart.uuid)}
    )
    assert response["Location"] == reverse("patients:chart", args=[chart.uuid])
    request.refresh_from_db()
    assert request.patient == chart and request.status == "contacted"
    assert Patient.objects.count() == 1
    event = AuditEvent.objects.get(action="evaluation_request.attach")
    assert event.details == {"exact_match": False}
    # Another clinic's chart, or a second attach, is refused.
    again = EvaluationRequestFactory(clinic=clinic_a)
    other = PatientFactory()
    client.post(reverse("screening:request-attach", args=[again.uuid]), {"patient": other.uuid})
    assert EvaluationRequest.objects.get(pk=again.pk).patient is None


def test_register_anyway_opens_a_new_chart_and_the_audit_names_the_candidate(
    client, bob, clinic_a, chart
):
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Ruth", family_name="Ames")
    client.force_login(bob)
    response = convert(client, request, register_anyway="yes", **person())
    assert response.status_code == 302
    new = Patient.objects.exclude(pk=chart.pk).get()
    assert EvaluationRequest.objects.get(pk=request.pk).patient == new
    event = AuditEvent.objects.get(action="patient.create")
    assert event.details == {"possible_duplicates": [chart.chart_number]}


def test_an_exact_match_attaches_without_a_new_chart(client, bob, clinic_a):
    exact = PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=datetime.date(1971, 2, 3),
        email="RUTH@example.org",
    )
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Ruth", family_name="Ames")
    client.force_login(bob)
    response = convert(client, request, **person())
    assert response["Location"] == reverse("patients:chart", args=[exact.uuid])
    assert Patient.objects.count() == 1
    assert EvaluationRequest.objects.get(pk=request.pk).patient == exact
    assert AuditEvent.objects.get(action="evaluation_request.attach").details == {
        "exact_match": True
    }
    assert "already had chart" in client.get(response["Location"]).content.decode()


def test_a_new_person_is_registered_without_a_warning(client, bob, clinic_a, chart):
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Noor", family_name="Haddad")
    client.force_login(bob)
    response = convert(client, request, **person(given_name="Noor", family_name="Haddad"))
    assert response.status_code == 302
    assert Patient.objects.filter(family_name="Haddad").count() == 1
