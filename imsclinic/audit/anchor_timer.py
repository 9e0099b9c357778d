"""Gunicorn config hooks: re-anchor the audit chain heads on a timer, in the master process.

`imsclinic serve` anchors once before it starts gunicorn with
`-c python:imsclinic.audit.anchor_timer`. When the server is ready, a daemon thread runs
`imsclinic audit anchor` every IMSCLINIC_AUDIT_ANCHOR_SECONDS (default 3600). Each run is a separate process, so the master never
holds a database connection that its forked workers would share. A run that refuses to move the
anchor (a chain was cut) is logged as an error; deployments without `imsclinic serve` schedule
`imsclinic audit anchor` themselves (cron or a systemd timer), at least hourly.
"""

import os
import subprocess  # noqa: S404  (runs this program's own command with an argument list)
import sys
import threading

DEFAULT_INTERVAL_SECONDS = 3600


def interval_seconds() -> int:
    value = os.environ.get("IMSCLINIC_AUDIT_ANCHOR_SECONDS") or DEFAULT_INTERVAL_SECONDS
    return max(int(value), 1)


def anchor_once(log) -> bool:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "imsclinic.cli", "audit", "anchor"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        log.error("Audit anchor refused or failed: %s", result.stderr.strip())
        return False
    log.info("%s", result.stdout.strip())
    return True


def when_ready(server):
    stop = threading.Event()

    def loop():
        while not stop.wait(interval_seconds()):
            anchor_once(server.log)

    threading.Thread(target=loop, name="audit-anchor", daemon=True).start()
