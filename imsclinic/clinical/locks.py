"""The clinical records that the database itself keeps immutable once signed.

Signed sessions and their needling rows, signed assessments and their findings, consents (signed
when recorded; only the withdrawal may still be added, once) and precaution clearances and
decisions (written once). A raw UPDATE or DELETE fails on SQLite and PostgreSQL; corrections are
addenda. The triggers are (re)installed after every migrate so they follow schema changes.
"""

from imsclinic.audit.triggers import LockedOnceSigned, install_after_migrate, register_lock

CLINICAL_LOCKS = (
    LockedOnceSigned("clinical_treatmentsession"),
    LockedOnceSigned(
        "clinical_needlingrow", parent_table="clinical_treatmentsession", parent_fk="session_id"
    ),
    LockedOnceSigned("clinical_assessment"),
    LockedOnceSigned(
        "clinical_assessmentfinding",
        parent_table="clinical_assessment",
        parent_fk="assessment_id",
    ),
    LockedOnceSigned(
        "clinical_consent",
        mutable_columns=("withdrawn_at", "withdrawn_by_id", "withdrawal_reason"),
        mutable_while_null="withdrawn_at",
    ),
    LockedOnceSigned("clinical_precautionclearance", signed_column="recorded_at"),
    LockedOnceSigned("clinical_precautiondecision", signed_column="recorded_at"),
)


def register() -> None:
    for rule in CLINICAL_LOCKS:
        register_lock(rule)


install_after_migrate = install_after_migrate(CLINICAL_LOCKS)
