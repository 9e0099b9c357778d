from django.db import migrations


def reinstall(apps, schema_editor):
    """PostgreSQL's append-only function now raises SQLSTATE 23000 (an IntegrityError, as the
    locks on signed records do) instead of a plain exception; CREATE OR REPLACE puts it in place.
    SQLite's triggers already raise an IntegrityError and are left as they are."""
    from imsclinic.audit import triggers

    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_access_log_index_by_patient_newest_first")]
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
