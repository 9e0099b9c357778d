"""Database tuning that must hold on every connection, and write transactions that survive
contention.

SQLite PRAGMAs are applied through settings' init_command; `ensure_sqlite_wal` only double-checks
that the journal is WAL after the first connection, because a database file created by another
tool may have been left in rollback-journal mode.

`write_transaction` is `transaction.atomic` for the writes that meet each other under load
(registering a patient, booking, signing): when the database gives up on a transaction because
of a conflict with another one (PostgreSQL serialisation failure 40001 or deadlock 40P01, SQLite
"database is locked"), the whole transaction is rolled back and run again, a bounded number of
times, after a short random pause, and every retry is logged. Nothing the transaction did
survives a failed attempt, so a retry cannot save anything twice. The lock order that keeps
deadlocks rare in the first place is in docs/performance.md ("Lock order").
"""

import functools
import logging
import random
import time

from django.db import DatabaseError, transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

logger = logging.getLogger("imsclinic.db")

# PostgreSQL SQLSTATEs of a transaction the server rolled back because of another transaction.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
# Attempts in all (the first run included). With the pauses below the worst case adds well under
# a second of waiting, far less than a lock wait the database already allowed.
DEFAULT_ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.02
MAX_PAUSE_SECONDS = 0.5


class DatabaseBusy(Exception):
    """A write kept conflicting with other writes after every retry. Nothing was saved."""

    message = (
        "The clinic's records are busy with other changes. Nothing was saved; please try again."
    )
    # The page template already says "Nothing was saved".
    page_message = "The clinic's records are busy with other changes; please try again in a moment."

    def __init__(self, what: str = ""):
        super().__init__(self.message)
        self.what = what


@receiver(connection_created)
def ensure_sqlite_wal(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        if mode.lower() not in {"wal", "memory"}:
            cursor.execute("PRAGMA journal_mode=WAL")


def is_conflict(error: BaseException) -> bool:
    """Is this the database refusing a transaction because of a concurrent one (so that running
    it again may succeed), as opposed to a bug or bad data?"""
    if isinstance(error, DatabaseBusy):
        return True
    if not isinstance(error, DatabaseError):
        return False
    cause = error.__cause__ or error
    if getattr(cause, "sqlstate", None) in CONFLICT_SQLSTATES:  # psycopg 3
        return True
    # sqlite3 reports SQLITE_BUSY / SQLITE_LOCKED only through the message.
    text = str(cause).lower()
    return "database is locked" in text or "database table is locked" in text


def pause_before(attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, …): exponential with full jitter, so
    the transactions that collided do not collide again in step."""
    ceiling = min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security


def write_transaction(func=None, *, attempts: int = DEFAULT_ATTEMPTS, using: str | None = None):
    """Decorate a write: run it in `transaction.atomic`, retrying database conflicts.

    Only the outermost transaction can be retried (a conflict aborts the whole transaction, not a
    savepoint), so inside another atomic block the function simply runs in a savepoint and a
    conflict travels up to whoever owns the transaction. When every attempt conflicts, raises
    `DatabaseBusy`, which the middleware answers with 503 and "please try again", never a 500.
    """

    def decorator(inner):
        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            if transaction.get_connection(using).in_atomic_block:
                with transaction.atomic(using=using):
                    return inner(*args, **kwargs)
            name = inner.__qualname__
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        return inner(*args, **kwargs)
                except DatabaseError as error:
                    if not is_conflict(error):
                        raise
                    if attempt == attempts:
                        logger.error(
                            "%s still conflicted after %d attempts; gave up: %s",
                            name,
                            attempts,
                            _one_line(error),
                        )
                        raise DatabaseBusy(name) from error
                    pause = pause_before(attempt)
                    logger.warning(
                        "%s conflicted with another transaction (attempt %d of %d), retrying in "
                        "%.0f ms: %s",
                        name,
                        attempt,
                        attempts,
                        pause * 1000,
                        _one_line(error),
                    )
                    time.sleep(pause)
            raise AssertionError("unreachable: the loop returns or raises")

        return wrapper

    return decorator(func) if func is not None else decorator


def run_in_write_transaction(func, /, *args, **kwargs):
    """Run `func(*args, **kwargs)` as one retried write transaction (for a view that composes
    several actions into one all-or-nothing write)."""
    return write_transaction(func)(*args, **kwargs)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:600]
