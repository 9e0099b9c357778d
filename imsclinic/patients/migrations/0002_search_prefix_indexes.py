"""PostgreSQL indexes that serve the patient search's prefix match (LIKE 'smi%').

A plain btree on a varchar serves LIKE 'x%' only under the C collation; under any other (en_US,
C.UTF-8) PostgreSQL filters every row of the clinic instead. varchar_pattern_ops indexes make the
prefix an index condition, and the search's OR over family/given/preferred name becomes a BitmapOr
of three index scans. SQLite serves the prefix from the existing indexes (its LIKE optimisation
needs no special operator class), so this migration does nothing there.

Added by the benchmark work (issue 9, docs/performance.md); the existing Meta.indexes stay, since
the patient list's ORDER BY family_name, given_name needs the ordinary collation-aware ones. These
live outside the model state on purpose: they are a PostgreSQL-only physical detail.
"""

from django.db import migrations

COLUMNS = ("family_name_folded", "given_name_folded", "preferred_name_folded", "phone_digits")


def _name(column: str) -> str:
    return f"patient_{column.split('_')[0]}_prefix_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_name(column)} ON patients_patient "
            f"(clinic_id, {column} varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
