"""Clinic settings: details and policies, validated by one schema on save."""

from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.consent_rules import DEFAULT_CONSENT_MIN_AGE, consent_min_age
from imsclinic.clinics.policies import ClinicPolicies, PolicyError, validate_policies
from imsclinic.scheduling.actions import DEFAULT_ONLINE_NOTICE_HOURS
from imsclinic.scheduling.models import cancellation_hours, reminder_lead_hours
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def settings_form(clinic, **changes):
    data = {
        "name": clinic.name,
        "address_line1": "1 Main St",
        "city": "Canmore",
        "postal_code": "T1W 1A1",
        "phone": "403-555-0100",
        "email": "hello@example.org",
        "time_zone": "America/Edmonton",
        "region": "AB",
        "cancellation_hours": "48",
        "online_min_notice_hours": "12",
        "reminder_lead_hours": "24",
        "late_cancel_fee": "40.00",
        "flag_late_cancellations": "on",
        "no_show_fee": "",
        "consent_min_age": "16",
        "screening": "",
    }
    data.update(changes)
    return data


def test_every_policy_key_read_in_the_code_is_in_the_schema_with_the_readers_defaults():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "imsclinic"
    read = set()
    for path in root.rglob("*.py"):
        read |= set(re.findall(r"\.policy\(\s*\"(\w+)\"", path.read_text()))
    from imsclinic.clinical.safety import load_limits

    read.add(load_limits().data.bilateral_thorax.policy_key)
    assert read <= set(ClinicPolicies.model_fields), read - set(ClinicPolicies.model_fields)
    blank = ClinicFactory(policies={})
    defaults = ClinicPolicies()
    assert defaults.cancellation_hours == cancellation_hours(blank)
    assert defaults.reminder_lead_hours == reminder_lead_hours(blank)
    assert defaults.online_min_notice_hours == DEFAULT_ONLINE_NOTICE_HOURS
    assert defaults.consent_min_age == DEFAULT_CONSENT_MIN_AGE == consent_min_age(blank)


def test_saving_validates_and_stores_every_key_explicitly(client, olivia, clinic_a):
    client.force_login(olivia)
    response = client.post(f"/clinic-admin/{clinic_a.uuid}/settings/", settings_form(clinic_a))
    assert response.status_code == 302, response.content.decode()[:3000]
    clinic_a.refresh_from_db()
    assert clinic_a.address_line1 == "1 Main St"
    assert clinic_a.policies["cancellation_hours"] == 48
    assert clinic_a.policies["late_cancel_fee"] == "40.00"  # a Decimal string, as billing reads it
    assert clinic_a.policies["no_show_fee"] == "0.00"
    assert clinic_a.policies["flag_late_cancellations"] is True
    assert set(clinic_a.policies) == set(ClinicPolicies.model_fields)
    assert cancellation_hours(clinic_a) == 48
    event = AuditEvent.objects.get(action="clinic.settings")
    assert "cancellation_hours" in event.details["policies"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"consent_min_age": "25"}, "less than or equal to 19"),
        ({"cancellation_hours": "-1"}, "greater than or equal to 0"),
        ({"late_cancel_fee": "-5"}, "greater than or equal to 0"),
        ({"screening": "{not json"}, "as JSON"),
        ({"screening": '{"recent_surgery_weeks": 1}'}, "recent_surgery_weeks"),
    ],
)
def test_invalid_input_is_a_clear_form_error_and_saves_nothing(
    client, olivia, clinic_a, changes, message
):
    client.force_login(olivia)
    before = dict(clinic_a.policies)
    response = client.post(
        f"/clinic-admin/{clinic_a.uuid}/settings/", settings_form(clinic_a, **changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    clinic_a.refresh_from_db()
    assert clinic_a.policies == before
    assert clinic_a.address_line1 != "1 Main St"
    assert not AuditEvent.objects.filter(action="clinic.settings").exists()


def test_unknown_or_wrong_typed_policies_are_refused_not_defaulted():
    with pytest.raises(PolicyError) as refused:
        validate_policies({"cancelation_hours": 12})
    assert "not a clinic policy" in refused.value.errors["__all__"]
    with pytest.raises(PolicyError) as refused:
        validate_policies({"reminder_lead_hours": "soon"})
    assert "reminder_lead_hours" in refused.value.errors
    assert validate_policies({"late_cancel_fee": "12.5"}).late_cancel_fee == Decimal("12.5")


def test_staff_two_step_requirement_is_a_setting(client, olivia, clinic_a):
    client.force_login(olivia)
    response = client.post(
        f"/clinic-admin/{clinic_a.uuid}/settings/",
        settings_form(clinic_a, require_staff_2fa="on"),
    )
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert clinic_a.require_staff_2fa is True
