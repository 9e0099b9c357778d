"""Hash chaining for append-only audit tables.

row_hash = sha256(prev_hash + canonical JSON of the row's hashed fields). The first row of a chain
links to GENESIS. Appends are serialised (an advisory lock on PostgreSQL; SQLite's IMMEDIATE
transactions already hold the write lock) so two concurrent writers cannot fork the chain.
"""

import datetime
import hashlib
import ipaddress
import json
import uuid
import zlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit row."""


def _canonical(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def compute_hash(prev_hash: str, content: dict) -> str:
    payload = json.dumps(_canonical(content), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _lock_chain(model) -> None:
    if connection.vendor == "postgresql":
        key = zlib.crc32(model._meta.db_table.encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def append(model, **fields):
    """Append one row to `model`'s chain and return it."""
    with transaction.atomic():
        _lock_chain(model)
        last = model.objects.order_by("-id").values_list("row_hash", flat=True).first()
        row = model(at=fields.pop("at", None) or timezone.now(), **fields)
        if hasattr(row, "ip_address"):
            row.ip_address = normalise_ip(row.ip_address)
        row.prev_hash = last or GENESIS
        row.row_hash = compute_hash(row.prev_hash, row.hashed_content())
        row.save(force_insert=True)
        return row


@dataclass(frozen=True)
class VerifyResult:
    table: str
    rows_checked: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify(model, *, progress=None) -> VerifyResult:
    """Walk the chain in id order; report the first row whose content or link does not match."""
    expected_prev = GENESIS
    checked = 0
    table = model._meta.db_table
    for row in model.objects.order_by("id").iterator(chunk_size=2000):
        if row.prev_hash != expected_prev:
            return VerifyResult(
                table, checked, row.id, "does not link to the row before it (a row was removed)"
            )
        if compute_hash(row.prev_hash, row.hashed_content()) != row.row_hash:
            return VerifyResult(table, checked, row.id, "content does not match its hash (edited)")
        expected_prev = row.row_hash
        checked += 1
        if progress:
            progress(1)
    return VerifyResult(table, checked)
