"""Fast, model-aware bulk inserts for the scale generator.

`bulk_create` builds a model instance per row and compiles SQL per batch, about 20k rows a second;
a clinic network is millions of rows. `TableWriter` writes plain dicts instead: PostgreSQL gets
them through COPY, SQLite through `executemany` on one prepared INSERT. Primary keys are assigned
here (from the table's current maximum), so child rows can point at parents before anything is
written; sequences are reset afterwards.

Rows are dicts keyed by field name (or attname, e.g. "clinic_id"). A field a row does not mention
gets the model's default, NULL, or "" for a blank text field; a required field with none of these
raises `ModelMismatch` (naming the field), so a model that grew a required field after this
generator was written fails loudly instead of writing nonsense.
"""

import datetime
import json
from collections.abc import Callable, Iterable

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

SQLITE_BATCH = 5000


class ModelMismatch(Exception):
    """The model has a required field the generator does not know how to fill."""


def _sqlite_converter(field: models.Field) -> Callable:
    if isinstance(field, models.UUIDField):
        return lambda v: v.hex if v is not None else None
    if isinstance(field, models.DateTimeField):
        utc = datetime.UTC

        def to_text(v):
            if v is None:
                return None
            if timezone.is_aware(v):
                v = v.astimezone(utc).replace(tzinfo=None)
            return v.isoformat(" ")

        return to_text
    if isinstance(field, models.DateField):
        return lambda v: v.isoformat() if v is not None else None
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, separators=(",", ":"))
    if isinstance(field, models.DecimalField):
        return lambda v: str(v) if v is not None else None
    if isinstance(field, models.BooleanField):
        return lambda v: int(v) if v is not None else None
    return _identity


def _identity(value):
    return value


def _postgres_converter(field: models.Field) -> Callable:
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, separators=(",", ":"))
    return _identity


def _filler(field: models.Field, now) -> Callable[[], object]:
    """How to fill a field a row does not mention."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    if field.has_default():
        default = field.default
        return default if callable(default) else (lambda: default)
    if field.null:
        return lambda: None
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return lambda: ""

    def missing():
        raise ModelMismatch(
            f"{field.model._meta.label}.{field.name} is required and has no default; "
            "the scale generator needs updating for it."
        )

    return missing


class TableWriter:
    """Insert dict rows into one model's table, assigning primary keys."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.table = model._meta.db_table
        self.vendor = connection.vendor
        now = timezone.now()
        self.fields = [f for f in model._meta.concrete_fields]
        self.pk_name = model._meta.pk.attname
        convert = _postgres_converter if self.vendor == "postgresql" else _sqlite_converter
        self.columns = []
        for field in self.fields:
            names = (field.attname, field.name)
            fill = None if field.primary_key else _filler(field, now)
            self.columns.append((names, fill, convert(field)))
        start = model._base_manager.aggregate(top=Max(self.pk_name))["top"] or 0
        self._next_pk = start + 1
        self.written = 0
        self._plans: dict[frozenset, list] = {}

    def next_pk(self) -> int:
        pk = self._next_pk
        self._next_pk += 1
        return pk

    def known(self, name: str) -> bool:
        return any(name in names for names, _, _ in self.columns)

    def _tuple(self, row: dict) -> tuple:
        if self.pk_name not in row:
            row[self.pk_name] = self.next_pk()
        keys = frozenset(row)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plans[keys] = self._plan(keys)
        return tuple(
            (row[key] if convert is None else convert(row[key]))
            if key is not None
            else (fill() if convert is None else convert(fill()))
            for key, fill, convert in plan
        )

    def _plan(self, keys: frozenset) -> list:
        """Per row shape (the set of keys a generator writes): where each column comes from.

        Rows of one generator all have the same shape, so this runs a handful of times and the
        per-row work is one lookup and, only where needed, one conversion per column.
        """
        plan = []
        for (attname, name), fill, convert in self.columns:
            key = attname if attname in keys else name if name in keys else None
            plan.append((key, fill, None if convert is _identity else convert))
        return plan

    def write(self, rows: Iterable[dict]) -> int:
        """Insert rows (each may carry its own pk, else one is assigned). Returns the count."""
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        table = connection.ops.quote_name(self.table)
        count = 0
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(self._tuple(row))
                        count += 1
            else:
                marks = ", ".join("?" for _ in self.fields)
                # Table and column names come from the model, quoted; values are parameters.
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
                raw = cursor.cursor  # the sqlite3 cursor: Django's wrapper rewrites %s, not ?
                batch = []
                for row in rows:
                    batch.append(self._tuple(row))
                    if len(batch) >= SQLITE_BATCH:
                        raw.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    raw.executemany(sql, batch)
                    count += len(batch)
        self.written += count
        return count

    def finish(self) -> None:
        """Move the table's id sequence past the ids assigned here (PostgreSQL)."""
        statements = connection.ops.sequence_reset_sql(no_style(), [self.model])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def analyze() -> None:
    """Refresh planner statistics after a bulk load (both databases plan from them)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
