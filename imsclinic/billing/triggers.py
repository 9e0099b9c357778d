"""Database triggers that make issued invoices immutable, for raw SQL as much as for the ORM.

- An issued invoice changes only by being voided (status, time, reason); a void one never changes.
  Neither can be deleted.
- The lines and payer shares of an issued or void invoice cannot be added, changed or removed.
- Payments are append-only: a refund is a new, negative payment.

Installed by a migration on SQLite and PostgreSQL. The test suite drops and reinstalls them around
its flushes on SQLite (tests/conftest.py), as it does for the audit tables.
"""

# Columns an issued invoice keeps for ever (a void changes only status, voided_at, void_reason).
FROZEN_COLUMNS = (
    "clinic_id",
    "patient_id",
    "kind",
    "number",
    "appointment_id",
    "practitioner_id",
    "corrects_id",
    "service_date",
    "currency",
    "jurisdiction",
    "subtotal",
    "tax_total",
    "total",
    "patient_portion",
    "issued_at",
    "issued_by_id",
)
CHILD_TABLES = ("billing_invoiceline", "billing_invoiceshare")
MESSAGE = "issued invoices are locked; correct them with a credit note"


def _unchanged(old: str, new: str) -> str:
    return " AND ".join(f"{new}.{c} IS NOT DISTINCT FROM {old}.{c}" for c in FROZEN_COLUMNS)


def _unchanged_sqlite() -> str:
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)


def _sqlite_statements() -> list[str]:
    statements = [
        "CREATE TRIGGER IF NOT EXISTS billing_invoice_locked_update "
        "BEFORE UPDATE ON billing_invoice WHEN OLD.status != 'draft' AND NOT ("
        f"OLD.status = 'issued' AND NEW.status = 'void' AND {_unchanged_sqlite()}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        "CREATE TRIGGER IF NOT EXISTS billing_invoice_locked_delete "
        "BEFORE DELETE ON billing_invoice WHEN OLD.status != 'draft' "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        "CREATE TRIGGER IF NOT EXISTS billing_payment_no_update BEFORE UPDATE ON billing_payment "
        "BEGIN SELECT RAISE(ABORT, 'payments are append-only; record a refund'); END",
        "CREATE TRIGGER IF NOT EXISTS billing_payment_no_delete BEFORE DELETE ON billing_payment "
        "BEGIN SELECT RAISE(ABORT, 'payments are append-only; record a refund'); END",
    ]
    for table in CHILD_TABLES:
        for operation, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_locked_{operation.lower()} "  # noqa: S608
                f"BEFORE {operation} ON {table} WHEN (SELECT status FROM billing_invoice "
                f"WHERE id = {row}.invoice_id) != 'draft' "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    return statements


def _postgresql_statements() -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION billing_invoice_locked() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        f"  IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN OLD; "
        "END IF; "
        "IF OLD.status <> 'draft' AND NOT (OLD.status = 'issued' AND NEW.status = 'void' "
        f"AND {_unchanged('OLD', 'NEW')}) THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "RETURN NEW; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS billing_invoice_locked ON billing_invoice",
        "CREATE TRIGGER billing_invoice_locked BEFORE UPDATE OR DELETE ON billing_invoice "
        "FOR EACH ROW EXECUTE FUNCTION billing_invoice_locked()",
        "CREATE OR REPLACE FUNCTION billing_child_locked() RETURNS trigger AS $$ "  # noqa: S608
        "DECLARE parent_status text; BEGIN "
        "SELECT status INTO parent_status FROM billing_invoice WHERE id = "
        "CASE WHEN TG_OP = 'INSERT' THEN NEW.invoice_id ELSE OLD.invoice_id END; "
        f"IF parent_status <> 'draft' THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
        *[
            statement
            for table in CHILD_TABLES
            for statement in (
                f"DROP TRIGGER IF EXISTS {table}_locked ON {table}",
                f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_child_locked()",
            )
        ],
        "CREATE OR REPLACE FUNCTION billing_payment_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'payments are append-only; record a refund' "
        "USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS billing_payment_append_only ON billing_payment",
        "CREATE TRIGGER billing_payment_append_only BEFORE UPDATE OR DELETE ON billing_payment "
        "FOR EACH ROW EXECUTE FUNCTION billing_payment_append_only()",
    ]


def install(connection) -> None:
    statements = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}.get(
        connection.vendor
    )
    if statements is None:
        return
    with connection.cursor() as cursor:
        for statement in statements():
            cursor.execute(statement)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                "(name LIKE 'billing_invoice%' OR name LIKE 'billing_payment%')"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        elif connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS billing_invoice_locked ON billing_invoice")
            cursor.execute("DROP TRIGGER IF EXISTS billing_payment_append_only ON billing_payment")
            for table in CHILD_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")


def installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'billing_invoice_locked_update'"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'billing_invoice_locked'"
            )
        else:
            return False
        return cursor.fetchone()[0] > 0
