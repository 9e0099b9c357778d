"""Seed each clinic's chart-number counter from the charts it already has.

Chart numbers used to be MAX(six-digit chart number) + 1 at each registration. The counter takes
over from the highest six-digit number per clinic, so the next registration gets the number the
old code would have given and existing numbers keep their format. Clinics with no six-digit chart
get their counter at their first registration (patients.actions._locked_counter). Reversing
drops the counters' contents; the table itself goes with 0003.
"""

from django.db import migrations
from django.db.models import Max

NUMBERED_CHART = r"^[0-9]{6}$"


def seed(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    ChartNumberCounter = apps.get_model("patients", "ChartNumberCounter")
    highest_per_clinic = (
        Patient.objects.filter(chart_number__regex=NUMBERED_CHART)
        .values("clinic_id")
        .annotate(highest=Max("chart_number"))
        .order_by()
    )
    ChartNumberCounter.objects.bulk_create(
        [
            ChartNumberCounter(clinic_id=row["clinic_id"], last_number=int(row["highest"]))
            for row in highest_per_clinic
        ],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    apps.get_model("patients", "ChartNumberCounter").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_chart_number_counter")]

    operations = [migrations.RunPython(seed, unseed)]
