from django.db import migrations

# Re-created billing's own PostgreSQL trigger functions with SQLSTATE 23000; superseded by the
# generic locks (billing/locks.py), which raise it for every locked table. See 0004.


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_issued_invoice_triggers")]

    operations = []
