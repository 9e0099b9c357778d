from django.db import migrations, models

# Billing's own triggers (0002/0003, from the removed billing/triggers.py) give way to the
# generic "locked once signed" locks of audit/triggers.py, registered in billing/locks.py and
# installed after every migrate. This drops the old ones where a database has them.
LEGACY_SQLITE = [
    "billing_invoice_locked_update",
    "billing_invoice_locked_delete",
    "billing_payment_no_update",
    "billing_payment_no_delete",
    *(
        f"{table}_locked_{operation}"
        for table in ("billing_invoiceline", "billing_invoiceshare")
        for operation in ("insert", "update", "delete")
    ),
]
LEGACY_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS billing_invoice_locked ON billing_invoice",
    "DROP TRIGGER IF EXISTS billing_invoiceline_locked ON billing_invoiceline",
    "DROP TRIGGER IF EXISTS billing_invoiceshare_locked ON billing_invoiceshare",
    "DROP TRIGGER IF EXISTS billing_payment_append_only ON billing_payment",
    "DROP FUNCTION IF EXISTS billing_invoice_locked()",
    "DROP FUNCTION IF EXISTS billing_child_locked()",
    "DROP FUNCTION IF EXISTS billing_payment_append_only()",
]


def drop_legacy_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in LEGACY_SQLITE:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        elif connection.vendor == "postgresql":
            for statement in LEGACY_POSTGRESQL:
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_trigger_errors_are_integrity_errors")]

    operations = [
        migrations.RunPython(drop_legacy_triggers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "void"), ("void_reason", ""), _connector="OR"),
                name="billing_invoice_void_reason_only_when_void",
            ),
        ),
    ]
