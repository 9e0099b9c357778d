"""Database triggers that refuse UPDATE and DELETE on the audit tables.

The model layer already refuses both; the triggers make the rule hold for raw SQL too. Tampering
by someone who can drop triggers is caught by the hash chain (`imsclinic audit verify`).
PostgreSQL's TRUNCATE (used by Django's test flush) is not a row operation and is not blocked.
"""

AUDIT_TABLES = ("audit_auditevent", "audit_chartaccess")


def install(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in AUDIT_TABLES:
                for operation in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} "  # noqa: S608
                        f"BEFORE {operation} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END"
                    )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION imsclinic_audit_append_only() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'audit rows are append-only'; END; $$ LANGUAGE plpgsql"
            )
            for table in AUDIT_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION imsclinic_audit_append_only()"
                )


def drop(connection) -> None:
    with connection.cursor() as cursor:
        for table in AUDIT_TABLES:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


def installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%'"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_%%_append_only'"
            )
        else:
            return False
        return cursor.fetchone()[0] > 0
