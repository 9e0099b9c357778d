"""Static files outside production: whitenoise finds each file when it is asked for (settings
WHITENOISE_AUTOREFRESH) instead of listing them all when it starts, so a stylesheet added or
edited while the server runs is served without a restart. Production serves the collected,
hashed files (tests/trust/test_headers.py), each compressed once (core.staticfiles)."""

import gzip
import json
from pathlib import Path

import brotli
from django.core.management import call_command


def test_development_serves_a_static_file_added_while_it_runs(client, settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]
    assert client.get("/static/imsclinic-added.css").status_code == 404  # the server has started

    (tmp_path / "imsclinic-added.css").write_text("p { color: navy; }")
    added = client.get("/static/imsclinic-added.css")
    assert added.status_code == 200
    assert b"".join(added.streaming_content) == b"p { color: navy; }"


def collect(settings, source, root):
    """`collectstatic` with production's storage, from `source` only, into `root`."""
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "imsclinic.core.staticfiles.CompressOnceManifestStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((root / "staticfiles.json").read_text())
    return root / manifest["paths"]["app.js"]


def test_production_compresses_each_hashed_file_once_and_redoes_a_copy_cut_short(
    settings, tmp_path
):
    source, root = tmp_path / "source", tmp_path / "static"
    source.mkdir()
    script = "".join(f"function step{n}() {{ return {n} * 2; }}\n" for n in range(400)).encode()
    (source / "app.js").write_bytes(script)

    hashed = collect(settings, source, root)
    brotli_copy, gzip_copy = Path(f"{hashed}.br"), Path(f"{hashed}.gz")
    assert brotli.decompress(brotli_copy.read_bytes()) == script
    assert gzip.decompress(gzip_copy.read_bytes()) == script
    # Another whole brotli encoding of the same content (quick, not whitenoise's best), to see
    # whether a restart writes the copy again.
    quick = brotli.compress(script, quality=1)
    assert quick != brotli_copy.read_bytes()
    brotli_copy.write_bytes(quick)
    gzip_copy.unlink()

    # A restart: the same content under the same hashed name. The brotli copy is reused as it
    # is; gzip is made again.
    assert collect(settings, source, root) == hashed
    assert brotli_copy.read_bytes() == quick
    assert gzip.decompress(gzip_copy.read_bytes()) == script

    # A start killed while it wrote the brotli copy left it short: it is made again.
    brotli_copy.write_bytes(brotli_copy.read_bytes()[:20])
    collect(settings, source, root)
    assert brotli.decompress(brotli_copy.read_bytes()) == script
