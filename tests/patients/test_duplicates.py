"""Possible duplicate charts: the matcher, the registration warning, online booking's reuse."""

import datetime

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.patients.duplicates import exact_match, find_duplicates, given_names_match
from imsclinic.patients.models import Patient
from tests.conftest import login
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
BORN = datetime.date(1971, 2, 3)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Robert", "bob", True),
        ("Élise", "elise", True),
        ("Elizabeth", "Liz", True),
        ("Chris", "Christopher", True),
        ("Jean-Luc", "jean", True),
        ("Al", "Alfred", False),  # too short a start to say anything
        ("Robert", "Roberta", True),
        ("Robert", "William", False),
    ],
)
def test_given_names_match_on_case_accents_nicknames_and_starts(a, b, same):
    assert given_names_match(a, b) is same


def test_candidates_need_the_name_and_a_birth_date_or_contact(clinic_a, clinic_b):
    same = PatientFactory(
        clinic=clinic_a, given_name="Robert", family_name="Côté", date_of_birth=BORN
    )
    by_phone = PatientFactory(
        clinic=clinic_a,
        given_name="Bob",
        family_name="cote",
        date_of_birth=datetime.date(1971, 3, 2),
        phone="403 555 0199",
    )
    PatientFactory(clinic=clinic_a, given_name="Robert", family_name="Côté")  # other birth date
    PatientFactory(clinic=clinic_a, given_name="Marie", family_name="Côté", date_of_birth=BORN)
    PatientFactory(clinic=clinic_b, given_name="Robert", family_name="Côté", date_of_birth=BORN)
    PatientFactory(
        clinic=clinic_a,
        given_name="Robert",
        family_name="Côté",
        date_of_birth=BORN,
        is_active=False,
    )
    found = find_duplicates(
        clinic=clinic_a,
        given_name="ROBERT",
        family_name="Cote",
        date_of_birth=BORN,
        phone="+1 (403) 555-0199",
    )
    assert {c.patient for c in found} == {same, by_phone}
    reasons = {c.patient: c.reasons for c in found}
    assert reasons[same] == ["Same name", "same date of birth"]
    assert reasons[by_phone] == ["Similar name", "same phone"]
    assert not any(c.exact for c in found)  # neither has both the birth date and the contact


def test_exact_match_needs_name_birth_date_and_contact(clinic_a):
    chart = PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=BORN,
        email="Ruth@Example.org",
    )
    person = {"clinic": clinic_a, "given_name": "ruth", "family_name": "AMES"}
    assert exact_match(**person, date_of_birth=BORN, email="ruth@example.org") == chart
    assert exact_match(**person, date_of_birth=BORN, email="other@example.org") is None
    assert exact_match(**person, date_of_birth=BORN, phone="") is None
    # Two charts that both match exactly: nobody can tell which, so neither is used.
    PatientFactory(
        clinic=clinic_a,
        given_name="Ruth",
        family_name="Ames",
        date_of_birth=BORN,
        email=chart.email,
    )
    assert exact_match(**person, date_of_birth=BORN, email="ruth@example.org") is None


def registration(**extra):
    return {
        "given_name": "Bob",
        "family_name": "Ames",
        "date_of_birth": "1971-02-03",
        "sex": "male",
        "preferred_language": "en",
        **extra,
    }


def test_registration_warns_and_saves_nothing_until_confirmed(client, bob, clinic_a):
    existing = PatientFactory(
        clinic=clinic_a, given_name="Robert", family_name="Ames", date_of_birth=BORN
    )
    login(client, bob)
    response = client.post(reverse("patients:create"), registration())
    body = response.content.decode()
    assert response.status_code == 200 and "Possible duplicates" in body
    assert existing.chart_number in body and "Similar name, same date of birth" in body
    assert reverse("patients:chart", args=[existing.uuid]) in body
    assert Patient.objects.count() == 1

    response = client.post(reverse("patients:create"), registration(register_anyway="yes"))
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    event = AuditEvent.objects.get(action="patient.create")
    assert event.details == {"possible_duplicates": [existing.chart_number]}


def test_registration_without_candidates_saves_at_once(client, bob, clinic_a):
    PatientFactory(clinic=clinic_a, given_name="Robert", family_name="Ames")  # other birth date
    login(client, bob)
    assert client.post(reverse("patients:create"), registration()).status_code == 302
    assert Patient.objects.count() == 2
