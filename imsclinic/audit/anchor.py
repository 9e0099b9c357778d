"""Anchoring the chain heads outside the database.

A keyed chain stops anyone without the key from rewriting rows, but not from cutting rows off the
end of a chain (and the chain-head row with them). So the heads (last sequence number and hash of
every chain) are written to an anchor file outside the database, with its own HMAC under the audit
key: on every `imsclinic audit verify`, every `imsclinic backup`, and at least hourly
(`imsclinic audit anchor`, run by the server on a timer; see docs/security.md). A chain that no
longer reaches its anchored row, or reaches it with another hash, fails verification.

An anchor is only ever moved forward: before writing, the anchored rows must still be in the
database with the anchored hashes, so a cut tail cannot be anchored over.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
from pathlib import Path

from django.conf import settings
from django.db import connections

from imsclinic.audit.chain import canonical_bytes
from imsclinic.audit.keys import audit_key

FORMAT = 1


class AnchorError(Exception):
    """The anchor cannot be trusted or cannot be moved forward; the message says why."""


def anchor_path(using: str = "default") -> Path:
    """IMSCLINIC_AUDIT_ANCHOR_PATH, or one file per database under DATA_DIR/audit-anchors/."""
    if settings.AUDIT_ANCHOR_PATH:
        return Path(settings.AUDIT_ANCHOR_PATH)
    db = connections[using].settings_dict
    identity = f"{db['ENGINE']}|{db.get('HOST') or ''}|{db.get('PORT') or ''}|{db['NAME']}"
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(str(db["NAME"])).name).strip("-")[-60:]
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return Path(settings.DATA_DIR) / "audit-anchors" / f"{stem}-{digest}.json"


def label(chain_key: str) -> str:
    from imsclinic.audit.models import AuditEvent, ChartAccess

    log, chain_id = chain_key.split(":")
    names = {AuditEvent.LOG: AuditEvent.LOG_LABEL, ChartAccess.LOG: ChartAccess.LOG_LABEL}
    where = "network events" if chain_id == "0" else f"clinic {chain_id}"
    return f"{names.get(log, log)}, {where}"


def _mac(body: dict, key: bytes) -> str:
    return hmac.new(key, canonical_bytes(body), hashlib.sha256).hexdigest()


def seal(heads: dict, *, key: bytes | None = None, written_at: str | None = None) -> dict:
    """The anchor document for `heads` ({"events:3": {"seq": 12, "hash": "..."}})."""
    key = audit_key() if key is None else key
    body = {
        "format": FORMAT,
        "written_at": written_at
        or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "heads": heads,
    }
    return {**body, "mac": _mac(body, key)}


def open_sealed(document, *, key: bytes | None = None, source: str = "the anchor") -> dict:
    """The heads of a sealed anchor document, or AnchorError if it is malformed or altered."""
    key = audit_key() if key is None else key
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise AnchorError(f"{source} is not an audit anchor this version understands.")
    body = {k: v for k, v in document.items() if k != "mac"}
    if not hmac.compare_digest(str(document.get("mac", "")), _mac(body, key)):
        raise AnchorError(
            f"{source} does not carry a valid seal under the audit key: it was altered, or "
            "written with another key."
        )
    heads = document.get("heads")
    if not isinstance(heads, dict) or not all(
        isinstance(h, dict) and isinstance(h.get("seq"), int) and isinstance(h.get("hash"), str)
        for h in heads.values()
    ):
        raise AnchorError(f"{source} has malformed chain heads.")
    return heads


def read(path: Path | None = None, *, using: str = "default", key: bytes | None = None):
    """The anchored heads, or None when nothing was anchored yet."""
    path = anchor_path(using) if path is None else Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnchorError(f"The audit anchor {path} is not valid JSON ({exc.msg}).") from exc
    return open_sealed(document, key=key, source=f"The audit anchor {path}")


def write(heads: dict, path: Path | None = None, *, using: str = "default", key=None) -> Path:
    path = anchor_path(using) if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(seal(heads, key=key), indent=2, sort_keys=True))
    os.replace(partial, path)  # atomic: a reader sees the old anchor or the new one
    return path


def head_rows(using: str = "default") -> dict:
    """Every chain's head as recorded in the database."""
    from imsclinic.audit.models import ChainHead

    return {
        f"{log}:{chain}": {"seq": seq, "hash": row_hash}
        for log, chain, seq, row_hash in ChainHead.objects.using(using).values_list(
            "log", "chain", "seq", "row_hash"
        )
    }


def problems_against(
    anchored: dict, *, using: str = "default", what: str = "anchored"
) -> list[str]:
    """Why the database's chains no longer reach the anchored heads (empty: they do).

    One indexed lookup per chain: the anchored row must still exist with the anchored hash.
    """
    from imsclinic.audit.models import AuditEvent, ChartAccess

    models = {AuditEvent.LOG: AuditEvent, ChartAccess.LOG: ChartAccess}
    problems = []
    for chain_key, want in sorted(anchored.items()):
        if want["seq"] == 0:
            continue
        log, chain_id = chain_key.split(":")
        model = models.get(log)
        if model is None:
            problems.append(f"{chain_key}: the anchor names a log this version does not have")
            continue
        rows = model.objects.using(using).filter(chain=int(chain_id))
        found = rows.filter(seq=want["seq"]).values_list("row_hash", flat=True).first()
        if found is None:
            last = rows.order_by("-seq").values_list("seq", flat=True).first() or 0
            problems.append(
                f"{label(chain_key)}: the chain ends at row {last} but was {what} at row "
                f"{want['seq']}: rows were cut off the end"
            )
        elif found != want["hash"]:
            problems.append(
                f"{label(chain_key)}: row {want['seq']} differs from the {what} row: the chain "
                "was rewritten"
            )
    return problems


def anchor_now(*, using: str = "default", key: bytes | None = None) -> tuple[Path, dict]:
    """Move the anchor forward to the database's current heads, after checking they extend it."""
    path = anchor_path(using)
    previous = read(path, using=using, key=key) or {}
    problems = problems_against(previous, using=using)
    heads = head_rows(using)
    # The head rows themselves must point at real rows: a forged head cannot be anchored.
    problems += problems_against(heads, using=using, what="recorded in its head row")
    if problems:
        raise AnchorError("Not anchored: " + "; ".join(problems))
    merged = {**previous, **heads}
    return write(merged, path, using=using, key=key), merged
