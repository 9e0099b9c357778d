"""Database tuning that must hold on every connection.

SQLite PRAGMAs are applied through settings' init_command; this module only double-checks that
the journal is WAL after the first connection, because a database file created by another tool
may have been left in rollback-journal mode.
"""

from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created)
def ensure_sqlite_wal(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        if mode.lower() not in {"wal", "memory"}:
            cursor.execute("PRAGMA journal_mode=WAL")
