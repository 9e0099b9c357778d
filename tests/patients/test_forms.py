"""A birth date "in the future" is judged by the clinic's calendar day, not the server's (UTC)."""

import datetime

import pytest
import time_machine

from imsclinic.patients.forms import PatientForm
from imsclinic.screening.forms import ContactForm
from tests.factories import ClinicFactory

# 22:00 UTC on 10 March: already 11 March in Sydney (09:00), still 10 March in Calgary (15:00).
UTC_EVENING = datetime.datetime(2026, 3, 10, 22, 0, tzinfo=datetime.UTC)
# 03:00 UTC on 11 March: still 10 March in Calgary (20:00 the evening before).
UTC_EARLY = datetime.datetime(2026, 3, 11, 3, 0, tzinfo=datetime.UTC)

REGISTRATION = {
    "given_name": "Ada",
    "family_name": "Moreau",
    "sex": "female",
    "preferred_language": "en",
}


def patient_form(clinic, born: str) -> PatientForm:
    return PatientForm(data={**REGISTRATION, "date_of_birth": born}, clinic=clinic)


def contact_form(clinic, born: str) -> ContactForm:
    data = {"given_name": "Ada", "family_name": "Moreau", "phone": "403 555 0100", "agree": "on"}
    return ContactForm(data={**data, "date_of_birth": born}, clinic=clinic)


@pytest.mark.parametrize("make_form", [patient_form, contact_form])
def test_a_baby_born_this_morning_in_sydney_is_not_born_in_the_future(make_form):
    sydney = ClinicFactory.build(time_zone="Australia/Sydney", region="NSW", city="Sydney")
    with time_machine.travel(UTC_EVENING, tick=False):
        born_today = make_form(sydney, "2026-03-11")
        assert born_today.is_valid(), born_today.errors
        tomorrow = make_form(sydney, "2026-03-12")
        assert not tomorrow.is_valid()
        assert tomorrow.errors["date_of_birth"] == ["Date of birth cannot be in the future."]


@pytest.mark.parametrize("make_form", [patient_form, contact_form])
def test_on_a_calgary_evening_the_utc_date_is_still_the_future(make_form):
    calgary = ClinicFactory.build(time_zone="America/Edmonton")
    with time_machine.travel(UTC_EARLY, tick=False):
        assert make_form(calgary, "2026-03-10").is_valid()
        utc_today = make_form(calgary, "2026-03-11")
        assert not utc_today.is_valid()
        assert utc_today.errors["date_of_birth"] == ["Date of birth cannot be in the future."]
