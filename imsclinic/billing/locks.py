"""The billing records that the database itself keeps immutable, through the one generic
"locked once signed" mechanism (audit/triggers.py), with its one error convention.

- An issued invoice (or credit note) is locked from its `issued_at`: the only later change is a
  void, once (status, time, reason); a void invoice never changes. Neither can be deleted.
- The lines and payer shares of an issued or void invoice cannot be added, changed or removed.
- Payments are append-only: a refund is a new, negative payment.

A raw UPDATE or DELETE fails on SQLite and PostgreSQL with an IntegrityError naming the rule.
"""

from imsclinic.audit.triggers import LockedOnceSigned, install_after_migrate, register_lock

INVOICE_MESSAGE = "issued invoices are locked; correct them with a credit note"
PAYMENT_MESSAGE = "payments are append-only; record a refund"

BILLING_LOCKS = (
    LockedOnceSigned(
        "billing_invoice",
        signed_column="issued_at",
        mutable_columns=("status", "voided_at", "void_reason", "updated_at"),
        mutable_while_null="voided_at",
        message=INVOICE_MESSAGE,
    ),
    *(
        LockedOnceSigned(
            table,
            signed_column="issued_at",
            parent_table="billing_invoice",
            parent_fk="invoice_id",
            refuse_insert=True,
            message=INVOICE_MESSAGE,
        )
        for table in ("billing_invoiceline", "billing_invoiceshare")
    ),
    LockedOnceSigned("billing_payment", signed_column=None, message=PAYMENT_MESSAGE),
)


def register() -> None:
    for rule in BILLING_LOCKS:
        register_lock(rule)


install_after_migrate = install_after_migrate(BILLING_LOCKS)
