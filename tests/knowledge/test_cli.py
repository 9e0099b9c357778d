"""`imsclinic segments` and `imsclinic screen` formatters."""

import io
import json

from imsclinic.knowledge import clear_answers, run_screen_cli, run_segments_cli


def _run(func, argv):
    out, err = io.StringIO(), io.StringIO()
    code = func(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def test_segments_json_ranks_best_first_with_a_plan():
    code, out, err = _run(
        run_segments_cli, ["deltoid:R", "biceps brachii:R", "infraspinatus:R", "--json"]
    )
    assert code == 0, err
    payload = json.loads(out)
    first = payload["segments"][0]
    assert (first["segment"], first["side"]) == ("C5", "R")
    assert first["evidence"] and isinstance(first["score"], float)
    scores = [s["score"] for s in payload["segments"]]
    assert scores == sorted(scores, reverse=True)
    assert payload["levels"][0]["label"] == "C5"
    assert payload["plan"][0]["muscle"] == "cervical_multifidus_c5"
    assert all(item["side"] == "R" for item in payload["plan"])


def test_segments_table_is_readable():
    code, out, _ = _run(run_segments_cli, ["EHL:L", "gluteus medius:L", "TFL:left"])
    assert code == 0
    assert "Likely segments" in out
    assert "Involvement L: L5" in out
    assert "Suggested sites" in out


def test_segments_reports_two_levels():
    argv = [
        "deltoid:R",
        "infraspinatus:R",
        "brachioradialis:R",
        "ECRL:R",
        "pronator teres:R",
        "--json",
    ]
    _, out, _ = _run(run_segments_cli, argv)
    assert json.loads(out)["levels"][0]["levels"] == ["C5", "C6"]


def test_segments_grade_suffix():
    _, out, _ = _run(run_segments_cli, ["deltoid:R:tender+taut", "--json"])
    assert json.loads(out)["findings"][0]["grades"] == ["tender", "taut"]


def test_unknown_muscle_exits_non_zero_with_close_matches():
    code, out, err = _run(run_segments_cli, ["deltiod:R"])
    assert code == 1
    assert out == ""
    assert "unknown muscle 'deltiod'" in err and "deltoid" in err


def test_ambiguous_muscle_lists_candidates():
    code, _, err = _run(run_segments_cli, ["biceps:R"])
    assert code == 1
    assert "biceps_brachii" in err and "biceps_femoris_long_head" in err


def test_segments_usage_errors():
    assert _run(run_segments_cli, [])[0] == 2
    assert _run(run_segments_cli, ["deltoid:R", "--yaml"])[0] == 2
    assert _run(run_segments_cli, ["deltoid:Q"])[0] == 1
    code, out, _ = _run(run_segments_cli, ["--help"])
    assert code == 0 and "usage" in out


def test_screen_prints_outcome_json(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps(clear_answers({"pain_duration_months": 8, "anticoagulants": True}))
    )
    code, out, err = _run(run_screen_cli, [str(answers)])
    assert code == 0, err
    payload = json.loads(out)
    assert payload["outcome"] == "needs_clearance"
    assert payload["reasons"][0]["code"] == "anticoagulants"


def test_screen_applies_a_policy_file(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(clear_answers({"pain_duration_months": 8, "pregnant": True})))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"pregnancy": "not_suitable"}))
    code, out, _ = _run(run_screen_cli, [str(answers), "--policy", str(policy)])
    assert code == 0
    assert json.loads(out)["outcome"] == "not_suitable"


def test_screen_field_errors_exit_non_zero(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(clear_answers({"pain_duration_months": -3, "pregnant": "no"})))
    code, out, err = _run(run_screen_cli, [str(answers)])
    assert code == 1
    assert out == ""
    assert json.loads(err)["errors"] == {
        "pain_duration_months": "must be at least 0",
        "pregnant": "must be true or false",
    }


def test_screen_unreadable_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _run(run_screen_cli, [str(bad)])[0] == 2
    assert _run(run_screen_cli, [str(tmp_path / "missing.json")])[0] == 2
    assert _run(run_screen_cli, [])[0] == 2
