"""Production's static files storage: hashed names, with gzip and brotli copies.

`imsclinic serve` runs `collectstatic` at every production start, and whitenoise compresses every
hashed file again each time, brotli at its highest level: the vendored Swagger UI bundle alone
took about 3 s of CPU per start. A hashed name is its content's hash, so a whole brotli copy left
by an earlier start is reused; gzip, a hundred times cheaper, is redone as whitenoise does.
"""

import os

import brotli
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


def holds(copy: str, content: bytes) -> bool:
    """True when the brotli file `copy` exists and decompresses to exactly `content` (a copy cut
    short by a start killed mid-write, or of other content, does not)."""
    try:
        with open(copy, "rb") as handle:
            return brotli.decompress(handle.read()) == content
    except (FileNotFoundError, brotli.error):
        return False


class ReusingCompressor(Compressor):
    def compress(self, path):
        brotli_copy = path + ".br"
        with open(path, "rb") as handle:
            source = os.fstat(handle.fileno())
            data = handle.read()
        if not (self.use_brotli and holds(brotli_copy, data)):
            return super().compress(path)
        os.utime(brotli_copy, (source.st_atime, source.st_mtime))  # as whitenoise dates a copy
        written = [brotli_copy]
        if self.use_gzip:
            compressed = self.compress_gzip(data)
            if self.is_compressed_effectively("Gzip", path, len(data), compressed):
                written.append(self.write_data(path, compressed, ".gz", source))
        return written


class CompressOnceManifestStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return ReusingCompressor(**kwargs)
