"""Keyed hash chains for the append-only audit tables, one chain per clinic.

row_hash = HMAC-SHA256(audit key, canonical JSON of the row's hashed fields || prev_hash). The
hashed fields include the row's log, chain and sequence number, so a row cannot be moved between
chains or positions. The first row of a chain links to GENESIS.

An append locks its chain's head row (`ChainHead`, SELECT ... FOR UPDATE) and so serialises
appends per clinic only. Actions append as their last write, so the head is the last lock their
transaction takes: business row locks are always taken before it, in every transaction, and
cannot deadlock with it. On SQLite the IMMEDIATE transaction already holds the write lock.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from imsclinic.audit.keys import audit_key

GENESIS = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit row."""


def canonical(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def canonical_bytes(content) -> bytes:
    return json.dumps(
        canonical(content), sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def compute_hash(prev_hash: str, content: dict, *, key: bytes | None = None) -> str:
    key = audit_key() if key is None else key
    return hmac.new(key, canonical_bytes(content) + prev_hash.encode(), hashlib.sha256).hexdigest()


def normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _locked_head(model, chain_id: int, using: str):
    from imsclinic.audit.models import ChainHead

    heads = ChainHead.objects.using(using).select_for_update()
    try:
        return heads.get(log=model.LOG, chain=chain_id)
    except ChainHead.DoesNotExist:
        # First row of this chain: create its head, tolerating a concurrent creator.
        ChainHead.objects.using(using).bulk_create(
            [ChainHead(log=model.LOG, chain=chain_id, seq=0, row_hash=GENESIS)],
            ignore_conflicts=True,
        )
        return heads.get(log=model.LOG, chain=chain_id)


def build_row(model, **fields):
    """An unsaved row with its content set; `append_row` chains and saves it."""
    row = model(at=fields.pop("at", None) or timezone.now(), **fields)
    if hasattr(row, "ip_address"):
        row.ip_address = normalise_ip(row.ip_address)
    row.chain = row.chain_for()
    return row


def append_row(row, *, using: str = "default"):
    """Chain `row` after its chain's head and save it; return it."""
    from imsclinic.audit.models import ChainHead

    # No savepoint: a failed append fails the whole action, which is what we want anyway.
    with transaction.atomic(using=using, savepoint=False):
        head = _locked_head(type(row), row.chain, using)
        row.seq = head.seq + 1
        row.prev_hash = head.row_hash
        row.row_hash = compute_hash(row.prev_hash, row.hashed_content())
        row.save(force_insert=True, using=using)
        ChainHead.objects.using(using).filter(pk=head.pk).update(seq=row.seq, row_hash=row.row_hash)
        return row


def append(model, *, using: str = "default", **fields):
    """Append one row to its clinic's chain in `model`'s log and return it."""
    return append_row(build_row(model, **fields), using=using)


@dataclass
class ChainReport:
    """What a walk of one chain found. `problems` is empty when the chain is intact."""

    log: str
    log_label: str
    chain: int
    rows: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.log}:{self.chain}"

    @property
    def label(self) -> str:
        where = "network events" if self.chain == 0 else f"clinic {self.chain}"
        return f"{self.log_label}, {where}"

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_key(log: str, chain_id: int) -> str:
    return f"{log}:{chain_id}"


def verify(model, *, using: str = "default", key: bytes | None = None, progress=None):
    """Walk every chain of `model`'s log; return one ChainReport per chain.

    Each row must follow its predecessor's sequence number without a gap, link to its hash, and
    carry the HMAC of its content under the audit key. The chain's head row must agree with the
    chain's last row. (Whether the chain still reaches its anchored head: audit.anchor.)
    """
    from imsclinic.audit.models import ChainHead

    key = audit_key() if key is None else key
    reports: dict[int, ChainReport] = {}
    rows = model.objects.using(using).order_by("chain", "seq").iterator(chunk_size=2000)
    for row in rows:
        report = reports.get(row.chain)
        if report is None:
            report = reports[row.chain] = ChainReport(model.LOG, model.LOG_LABEL, row.chain)
        if progress:
            progress(1)
        if report.problems:
            continue  # the first break is what matters; later rows follow from it
        if row.seq != report.last_seq + 1:
            report.problems.append(
                f"rows {report.last_seq + 1} to {row.seq - 1} are missing (removed) "
                f"before row {row.seq} (id {row.id})"
            )
        elif row.prev_hash != report.last_hash:
            report.problems.append(
                f"row {row.seq} (id {row.id}) does not link to the row before it"
            )
        elif compute_hash(row.prev_hash, row.hashed_content(), key=key) != row.row_hash:
            report.problems.append(
                f"row {row.seq} (id {row.id}) does not match its seal under the audit key: "
                "edited, or re-sealed without the key"
            )
        if not report.problems:
            report.rows += 1
            report.last_seq = row.seq
            report.last_hash = row.row_hash
    heads = list(ChainHead.objects.using(using).filter(log=model.LOG))
    for chain_id in set(reports) - {head.chain for head in heads}:
        if reports[chain_id].ok:
            reports[chain_id].problems.append("the chain has no head row (it was removed)")
    for head in heads:
        report = reports.get(head.chain)
        if report is None:
            report = reports[head.chain] = ChainReport(model.LOG, model.LOG_LABEL, head.chain)
        if report.ok and (head.seq, head.row_hash) != (report.last_seq, report.last_hash):
            report.problems.append(
                f"the chain head records row {head.seq} but the chain ends at row "
                f"{report.last_seq}: rows were removed from the end, or the head was edited"
            )
    return [reports[chain_id] for chain_id in sorted(reports)]
