from django.apps import AppConfig
from django.db.models.signals import post_migrate


def refresh_sqlite_statistics(using="default", **kwargs):
    """SQLite chooses between the patient list index and the name-prefix indexes by its table
    statistics; without any it walks the clinic's whole list for a name search. Refresh them at
    every migrate (each upgrade, and `imsclinic serve` at start), sampled so it stays quick on a
    large database. PostgreSQL keeps its own statistics (autovacuum)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")


class PatientsConfig(AppConfig):
    name = "imsclinic.patients"
    label = "patients"

    def ready(self):
        post_migrate.connect(refresh_sqlite_statistics, sender=self, dispatch_uid="sqlite-stats")
