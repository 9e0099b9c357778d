"""The session store: Django's database sessions, with a cheaper read.

Sessions live in the database (several servers share them; a sign-out or an expiry is one row,
seen by every server at once). Django's own `db` store reads a session through the ORM:
building and compiling that query cost about 0.2 ms of CPU on every signed-in request, ten times
the query itself. `load()` here runs the same query (the row by key, unless expired) as plain SQL
and decodes the same data; every write (create, save, delete, flush, key cycling) is Django's.

A cache-fronted store (`cached_db`) would skip the query altogether, but is only correct with a
cache every worker shares: with the per-process memory cache (the default), a session signed out
in one gunicorn worker would still be read from another worker's memory.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self):
        data = self._unexpired_session_data()
        if data is None:
            # As Django's store does: an unknown or expired key is never reused.
            self._session_key = None
            return {}
        return self.decode(data)

    def _unexpired_session_data(self) -> str | None:
        if self.session_key is None:
            return None
        meta = self.model._meta
        connection = connections[router.db_for_read(self.model)]
        quote = connection.ops.quote_name
        # Names from the model's own metadata, values as parameters.
        sql = (
            f"SELECT {quote(meta.get_field('session_data').column)} "  # noqa: S608
            f"FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.get_field('session_key').column)} = %s "
            f"AND {quote(meta.get_field('expire_date').column)} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        return None if row is None else row[0]
