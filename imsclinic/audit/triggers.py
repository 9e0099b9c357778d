"""Database triggers that refuse UPDATE and DELETE on the audit tables.

A refusal is an IntegrityError in Django on both databases (SQLite's RAISE(ABORT), PostgreSQL's
SQLSTATE 23000), like the locks on signed records below.

The model layer already refuses both; the triggers make the rule hold for raw SQL too. Tampering
by someone who can drop triggers is caught by the hash chain (`imsclinic audit verify`).
PostgreSQL's TRUNCATE (used by Django's test flush) is not a row operation and is not blocked.
"""

from dataclasses import dataclass

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
                "BEGIN RAISE EXCEPTION 'audit rows are append-only' "
                "USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql"
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


# ---- "locked once signed": signed clinical records, issued invoices, payments ----
#
# The same idea as the append-only audit tables, keyed on a timestamp column: once a row's
# `signed_column` is set (or its parent's, for child rows such as needling rows or invoice lines),
# a raw UPDATE or DELETE fails. Areas register their tables (`register_lock`) and install them
# after every migrate (`install_after_migrate`), so the SQLite triggers always list the table's
# current columns (a SQLite table rebuild during a migration drops its triggers; the reinstall
# puts them back). Every refusal is the same error on both databases: SQLite's RAISE(ABORT) and
# PostgreSQL's SQLSTATE 23000, both an IntegrityError in Django, with the rule's message.

LOCK_MESSAGE = "signed records are locked; add an addendum instead"


@dataclass(frozen=True)
class LockedOnceSigned:
    """A table whose rows are immutable once `signed_column` is set.

    signed_column None: append-only, every row is locked from the start (payments).
    parent_table/parent_fk: a child table, locked when its parent row is signed;
    refuse_insert also refuses a new child row under a signed parent (invoice lines).
    mutable_columns/mutable_while_null: columns that may still be set once on a signed row while
    `mutable_while_null` is NULL (e.g. a consent's withdrawal, an invoice's void); every other
    column stays fixed.
    message: what the refusal says (no single quotes).
    """

    table: str
    signed_column: str | None = "signed_at"
    parent_table: str | None = None
    parent_fk: str | None = None
    mutable_columns: tuple[str, ...] = ()
    mutable_while_null: str | None = None
    refuse_insert: bool = False
    message: str = LOCK_MESSAGE

    def __post_init__(self):
        if "'" in self.message:
            raise ValueError("A lock message cannot contain a single quote.")
        if self.refuse_insert and not self.parent_table:
            raise ValueError("Only a child table refuses inserts under a signed parent.")

    @property
    def trigger(self) -> str:
        return f"{self.table}_locked_once_signed"


LOCKED_TABLES: dict[str, LockedOnceSigned] = {}


def register_lock(rule: LockedOnceSigned) -> None:
    LOCKED_TABLES[rule.table] = rule


def _sqlite_columns(cursor, table: str) -> list[str]:
    cursor.execute(f"PRAGMA table_info({table})")
    return [row[1] for row in cursor.fetchall()]


def _sqlite_lock(cursor, rule: LockedOnceSigned) -> None:
    abort = f"BEGIN SELECT RAISE(ABORT, '{rule.message}'); END"
    if rule.parent_table:
        operations = ("INSERT", "UPDATE", "DELETE") if rule.refuse_insert else ("UPDATE", "DELETE")
        for operation in operations:
            row = "NEW" if operation == "INSERT" else "OLD"
            signed = (
                f"(SELECT {rule.signed_column} FROM {rule.parent_table} "  # noqa: S608
                f"WHERE id = {row}.{rule.parent_fk}) IS NOT NULL"
            )
            cursor.execute(
                f"CREATE TRIGGER {rule.trigger}_{operation.lower()} BEFORE {operation} "
                f"ON {rule.table} FOR EACH ROW WHEN {signed} {abort}"
            )
        return
    signed = f"OLD.{rule.signed_column} IS NOT NULL" if rule.signed_column else "1"
    update_when = signed
    if rule.mutable_columns:
        fixed = [c for c in _sqlite_columns(cursor, rule.table) if c not in rule.mutable_columns]
        unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in fixed)
        update_when = f"{signed} AND NOT (OLD.{rule.mutable_while_null} IS NULL AND {unchanged})"
    cursor.execute(
        f"CREATE TRIGGER {rule.trigger}_update BEFORE UPDATE ON {rule.table} "
        f"FOR EACH ROW WHEN {update_when} {abort}"
    )
    cursor.execute(
        f"CREATE TRIGGER {rule.trigger}_delete BEFORE DELETE ON {rule.table} "
        f"FOR EACH ROW WHEN {signed} {abort}"
    )


# Arguments: signed column ('' = append-only), mutable-while-null column, mutable columns
# (comma-separated), parent table, parent foreign key, message.
_PG_LOCK_FUNCTION = """
CREATE OR REPLACE FUNCTION imsclinic_locked_once_signed() RETURNS trigger AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN to_jsonb(NEW) ELSE to_jsonb(OLD) END;
    mutable text[] := string_to_array(TG_ARGV[2], ',');
    parent_signed text;
BEGIN
    IF TG_ARGV[3] <> '' THEN
        EXECUTE format('SELECT %I FROM %I WHERE id = $1', TG_ARGV[0], TG_ARGV[3])
            INTO parent_signed USING (old_row ->> TG_ARGV[4])::bigint;
        IF parent_signed IS NULL THEN
            RETURN COALESCE(NEW, OLD);
        END IF;
    ELSIF TG_ARGV[0] <> '' AND old_row ->> TG_ARGV[0] IS NULL THEN
        RETURN COALESCE(NEW, OLD);
    ELSIF TG_OP = 'UPDATE' AND TG_ARGV[1] <> '' AND old_row ->> TG_ARGV[1] IS NULL
            AND (old_row - mutable) = (to_jsonb(NEW) - mutable) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '%', TG_ARGV[5] USING ERRCODE = 'integrity_constraint_violation';
END; $$ LANGUAGE plpgsql
"""  # noqa: S608 - constants only, no input


def install_locks(connection, tables=None) -> None:
    """(Re)create the lock triggers of the registered tables (all, or those named)."""
    rules = [LOCKED_TABLES[t] for t in tables] if tables else list(LOCKED_TABLES.values())
    drop_locks(connection, [rule.table for rule in rules])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_LOCK_FUNCTION)
        for rule in rules:
            if connection.vendor == "sqlite":
                _sqlite_lock(cursor, rule)
            elif connection.vendor == "postgresql":
                arguments = ", ".join(
                    f"'{value}'"
                    for value in (
                        rule.signed_column or "",
                        rule.mutable_while_null or "",
                        ",".join(rule.mutable_columns),
                        rule.parent_table or "",
                        rule.parent_fk or "",
                        rule.message,
                    )
                )
                events = "INSERT OR UPDATE OR DELETE" if rule.refuse_insert else "UPDATE OR DELETE"
                cursor.execute(
                    f"CREATE TRIGGER {rule.trigger} BEFORE {events} ON {rule.table} "
                    f"FOR EACH ROW EXECUTE FUNCTION imsclinic_locked_once_signed({arguments})"
                )


def drop_locks(connection, tables=None) -> None:
    rules = [LOCKED_TABLES[t] for t in tables] if tables else list(LOCKED_TABLES.values())
    with connection.cursor() as cursor:
        for rule in rules:
            if connection.vendor == "sqlite":
                for operation in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {rule.trigger}_{operation}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {rule.trigger} ON {rule.table}")


def install_after_migrate(rules):
    """A post_migrate receiver that (re)installs `rules` on the tables that exist (an area's
    AppConfig.ready connects it), so the triggers follow every schema change."""

    def receiver(sender, using, **kwargs) -> None:
        from django.db import connections

        connection = connections[using]
        existing = set(connection.introspection.table_names())
        tables = [rule.table for rule in rules if rule.table in existing]
        if tables:
            install_locks(connection, tables)

    return receiver


def locks_installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' "
                "AND name LIKE '%locked_once_signed%'"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%locked_once_signed'"
            )
        else:
            return False
        return cursor.fetchone()[0] > 0
