"""ApiToken now belongs to the gateway app (gateway 0001); only the state moves, not the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interop", "0001_initial"),
        ("gateway", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
