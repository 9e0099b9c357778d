"""Data that a module's tests share."""

import contextlib

from django.db import transaction


@contextlib.contextmanager
def rolled_back_for_the_module(django_db_blocker):
    """Data a module's tests share, written once in a transaction that is rolled back when the
    module's last test has run (Django's setUpTestData, for pytest). Each test still runs in its
    own savepoint inside it, so nothing one test writes reaches the next. Use it in a
    module-scoped fixture that requests `django_db_setup`; its tests must not flush
    (no `transaction=True`, no `live_server`)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
