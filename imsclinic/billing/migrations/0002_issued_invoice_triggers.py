from django.db import migrations

# Installed billing's own triggers (billing/triggers.py). The issued-invoice locks now go through
# the generic "locked once signed" mechanism (billing/locks.py, installed after every migrate);
# 0004 drops the old triggers from databases that have them.


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = []
