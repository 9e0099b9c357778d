from django.db import migrations


def reinstall_postgresql(apps, schema_editor):
    """The PostgreSQL trigger functions now raise SQLSTATE 23000 (integrity constraint violation),
    so Django reports a refused write as IntegrityError, as SQLite's RAISE(ABORT) is; CREATE OR
    REPLACE updates the functions of databases migrated before this change."""
    from imsclinic.billing import triggers

    if schema_editor.connection.vendor == "postgresql":
        triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_issued_invoice_triggers")]

    operations = [migrations.RunPython(reinstall_postgresql, migrations.RunPython.noop)]
