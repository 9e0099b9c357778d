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
        "reminder_lead_hours": "48, 2",
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
    assert defaults.reminder_lead_hours == reminder_lead_hours(blank) == [24]
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
    assert clinic_a.policies["reminder_lead_hours"] == [48, 2]
    assert reminder_lead_hours(clinic_a) == [48, 2]
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
        ({"reminder_lead_hours": "two days"}, "Write whole hours separated by commas"),
        ({"reminder_lead_hours": "48, 48"}, "may appear once; repeated: 48 hours"),
        ({"reminder_lead_hours": "0"}, "greater than or equal to 1"),
        ({"reminder_lead_hours": "400"}, "less than or equal to 336"),
        ({"reminder_lead_hours": "72, 48, 24, 12, 2"}, "at most 4 items"),
        ({"reminder_lead_hours": ""}, "This field is required"),
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
    for wrong in ("soon", 24, ["24"], [True], []):
        with pytest.raises(PolicyError) as refused:
            validate_policies({"reminder_lead_hours": wrong})
        assert "reminder_lead_hours" in refused.value.errors, wrong
    assert validate_policies({"reminder_lead_hours": [2, 48]}).reminder_lead_hours == [48, 2]
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


def test_the_settings_page_shows_the_reminder_times_as_a_list_people_read(client, olivia, clinic_a):
    clinic_a.policies = {"reminder_lead_hours": [48, 2]}
    clinic_a.save()
    client.force_login(olivia)
    page = client.get(f"/clinic-admin/{clinic_a.uuid}/settings/").content.decode()
    assert 'value="48, 2"' in page
    assert "[48, 2]" not in page


def test_a_stored_lead_time_of_the_wrong_shape_is_an_error_not_a_default(clinic_a):
    clinic_a.policies = {"reminder_lead_hours": 24}
    with pytest.raises(ValueError, match="list of hours"):
        reminder_lead_hours(clinic_a)


def test_the_migration_turns_a_single_lead_time_into_a_list():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("imsclinic.accounts.migrations.0003_reminder_lead_times_list")
    keep = ClinicFactory(policies={"cancellation_hours": 12})
    single = ClinicFactory(policies={"reminder_lead_hours": 48, "cancellation_hours": 12})
    migration.to_list(apps, None)
    single.refresh_from_db()
    keep.refresh_from_db()
    assert single.policies == {"reminder_lead_hours": [48], "cancellation_hours": 12}
    assert keep.policies == {"cancellation_hours": 12}
    migration.to_number(apps, None)
    single.refresh_from_db()
    assert single.policies["reminder_lead_hours"] == 48
