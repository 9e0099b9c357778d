"""`imsclinic bench --quick` end to end: data, production server, load process, report."""

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings

from imsclinic.bench import runner


@pytest.mark.slow
@pytest.mark.xdist_group("migrated-data-dir")
def test_quick_bench_writes_a_report(tmp_path, migrated_data_dir_template):
    out, work = tmp_path / "out", tmp_path / "work"
    # The bench migrates once per schema into its work directory and copies from there; it is
    # given the suite's migrated database, as a second size or a rebuild would find its own.
    work.mkdir()
    template = runner.migrated_sqlite_template(work)
    shutil.copyfile(migrated_data_dir_template / "imsclinic.sqlite3", template)
    with sqlite3.connect(template) as db:
        db.execute("CREATE TABLE copied_from_the_template (note TEXT)")
    db.close()
    result = subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable, "-m", "imsclinic.cli", "bench", "--quick",
            "--databases", "sqlite", "--sizes", "small", "--duration", "0.25",
            "--only", "chart_summary,patient_search,signed_in,session_write,write_load,report_pdf",
            "--out", str(out), "--work", str(work),
        ],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with sqlite3.connect(work / "small.sqlite3") as db:  # generated on a copy of the template
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "copied_from_the_template" in tables
        assert db.execute("SELECT count(*) FROM patients_patient").fetchone()[0] > 0
    db.close()
    report = json.loads((out / "report.json").read_text())
    (run,) = report["runs"]
    assert (run["database"], run["size"]) == ("sqlite", "small")
    assert run["heavy_patient_sessions"] == 500
    rows = {e["key"]: e for e in run["endpoints"]}
    assert set(rows) == {
        "hello", "signed_in", "chart_summary", "patient_search", "session_write", "write_load",
        "report_pdf",  # printed by each gunicorn worker's own render process (core.printing)
    }  # fmt: skip
    for row in rows.values():
        assert row["available"] and row["errors"] == 0, row
        assert row["operations"] > 0 and row["p95_ms"] > 0
    assert rows["hello"]["queries_per_request"] == 0
    # Pages are signed-in pages: the session, the user and the chart itself take queries.
    assert rows["chart_summary"]["queries_per_request"] > 3
    assert 0 < rows["chart_summary"]["throughput_vs_hello"] < 1
    assert rows["chart_summary"]["server_cpu_p50_ms"] > 0
    # The writes went through: every session created was signed, by six clients at once.
    assert rows["write_load"]["concurrency"] == 6
    assert 0 < rows["chart_summary"]["throughput_vs_signed_in"]
    text = (out / "report.md").read_text()
    assert "## sqlite · small" in text and "Chart summary (500 sessions)" in text
    # The search term is chosen from the data, and the report says which and how many it finds.
    term, matches = run["search"]["term"], run["search"]["matches"]
    assert term and matches > 0
    assert f'Patient search looks for "{term}"' in text
