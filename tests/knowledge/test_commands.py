"""The real `imsclinic screen` and `imsclinic segments` commands (console entry point)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from imsclinic.knowledge import clear_answers
from tests import workers

REPO = Path(__file__).resolve().parents[2]


def _imsclinic(*args, stdin=None):
    entry = shutil.which("imsclinic", path=str(Path(sys.executable).parent))
    assert entry, "the imsclinic console script is installed in the venv"
    return subprocess.run(
        [entry, *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=workers.HANG_GUARD_SECONDS,
    )


def test_screen_command_refuses_missing_answers_and_never_says_likely_candidate():
    result = _imsclinic("screen", "-", stdin=json.dumps({"pain_duration_months": 12}))
    assert result.returncode == 1
    assert "likely_candidate" not in result.stdout
    errors = json.loads(result.stderr)["errors"]
    assert errors["anticoagulants"] == "must be answered"
    assert "pain_duration_months" not in errors


def test_screen_command_refuses_a_laxer_clinic_policy(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"bleeding_disorder": "likely_candidate"}))
    answers = json.dumps(clear_answers({"pain_duration_months": 12, "bleeding_disorder": True}))
    result = _imsclinic("screen", "-", "--policy", str(policy), stdin=answers)
    assert result.returncode == 1
    assert "never laxer" in json.loads(result.stderr)["errors"]["bleeding_disorder"]


def test_segments_command_reports_a_tie_in_json():
    result = _imsclinic("segments", "first dorsal interosseous:R", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [w["code"] for w in payload["warnings"]] == ["tie"]
    assert payload["levels"][0]["tied"] == ["C8", "T1"]
