"""The clinic policy `reminder_lead_hours` becomes a list of lead times (one reminder each).

A clinic's single number N becomes [N]; a clinic that never set it keeps the default ([24],
clinics.policies). A stored value that is neither a number nor a list is left for the settings
page to report (it refuses to read it), never guessed at.
"""

from django.db import migrations


def to_list(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    for clinic in Clinic.objects.all():
        policies = clinic.policies if isinstance(clinic.policies, dict) else None
        if not policies or "reminder_lead_hours" not in policies:
            continue
        value = policies["reminder_lead_hours"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        policies["reminder_lead_hours"] = [int(value)]
        clinic.policies = policies
        clinic.save(update_fields=["policies"])


def to_number(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    for clinic in Clinic.objects.all():
        policies = clinic.policies if isinstance(clinic.policies, dict) else None
        value = (policies or {}).get("reminder_lead_hours")
        if isinstance(value, list) and value:
            policies["reminder_lead_hours"] = max(value)
            clinic.policies = policies
            clinic.save(update_fields=["policies"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_clinic_logo")]

    operations = [migrations.RunPython(to_list, to_number)]
