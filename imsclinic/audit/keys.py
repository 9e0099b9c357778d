"""The audit key: the HMAC secret that seals the audit chains, the anchor and backup manifests.

It lives outside the database on purpose. `IMSCLINIC_AUDIT_KEY` (or `IMSCLINIC_AUDIT_KEY_FILE`)
sets it; production refuses to start without one (settings.py). In development a random key is
written to DATA_DIR/audit.key the first time it is needed, readable by its owner only.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_cache: dict[tuple, bytes] = {}


def audit_key() -> bytes:
    configured = settings.AUDIT_KEY
    path = Path(settings.AUDIT_KEY_PATH)
    cache_key = (configured, str(path))
    if cache_key not in _cache:
        _cache[cache_key] = configured.encode() if configured else _development_key(path)
    return _cache[cache_key]


def _development_key(path: Path) -> bytes:
    if settings.PRODUCTION:  # settings already refuse this; never invent a production key
        raise ImproperlyConfigured("Production needs IMSCLINIC_AUDIT_KEY.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: two processes
        # starting at once agree on one key (link fails for the loser, who reads the winner's).
        scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"The audit key file {path} is empty.")
    return key.encode()
