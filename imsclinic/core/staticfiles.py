"""Production's static files storage: hashed names, with gzip and brotli copies.

`imsclinic serve` runs `collectstatic` at every production start, and whitenoise compresses every
hashed file again each time, brotli at its highest level: the vendored Swagger UI bundle alone
took about 3 s of CPU per start. A hashed name is its content's hash, so a whole brotli copy left
by an earlier start is reused; everything else (reading the file once, gzip, whether a copy is
worth keeping, the copies' dates) is whitenoise's own `Compressor.compress`.
"""

import threading

import brotli
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


def holds(copy: str, content: bytes) -> bytes | None:
    """The bytes of the brotli file `copy` when it decompresses to exactly `content`, else None
    (a copy cut short by a start killed mid-write, or of other content, does not hold)."""
    try:
        with open(copy, "rb") as handle:
            compressed = handle.read()
        return compressed if brotli.decompress(compressed) == content else None
    except (FileNotFoundError, brotli.error):
        return None


class ReusingCompressor(Compressor):
    """Whitenoise's compressor, with the brotli step answered from an existing whole copy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # whitenoise compresses files on a thread pool: each thread knows its own file.
        self._current = threading.local()

    def compress(self, path):
        self._current.path = path
        return super().compress(path)

    def compress_brotli(self, data):
        reusable = holds(self._current.path + ".br", data)
        return reusable if reusable is not None else super().compress_brotli(data)


class CompressOnceManifestStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return ReusingCompressor(**kwargs)
