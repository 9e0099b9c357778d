"""Console formatters for `imsclinic segments` and `imsclinic screen`.

Pure functions: they take argv and two text streams and return an exit code, so the Django
management commands, a console entry point and the tests all share them.
Exit codes: 0 success, 1 input the engine rejected (unknown muscle, invalid answers),
2 usage error (no arguments, unknown option, unreadable file).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .engines.candidacy import screen
from .engines.plan import suggest_plan
from .engines.segments import MuscleFinding, infer_segments
from .errors import InvalidAnswersError, MuscleLookupError, PolicyError

SEGMENTS_USAGE = """usage: imsclinic segments FINDING... [--json]

FINDING is name[:side[:grade+grade]], e.g. deltoid:R "biceps brachii:R" infraspinatus:R:taut
side is L or R; grades are tender (default), taut, shortened, or normal for a muscle examined and
found spared (it counts against its roots). A finding listed twice counts once.
Ranks the likely affected spinal segments per side and suggests needling sites. Ties and
findings that do not point to one level are reported under "warnings" (codes `tie` and
`does_not_localise`); no sites are suggested for a side that does not localise.
"""

SCREEN_USAGE = """usage: imsclinic screen ANSWERS.json [--policy POLICY.json]

Screens candidacy answers (a JSON object; "-" reads standard input) and prints
{"outcome": ..., "reasons": [...]} as JSON.
"""

SIDE_WORDS = {"L": "L", "LEFT": "L", "R": "R", "RIGHT": "R"}


def _write(stream: TextIO, text: str) -> None:
    # One write per message: Django's OutputWrapper appends a newline only when missing.
    stream.write(text if text.endswith("\n") else text + "\n")


def parse_finding(token: str) -> MuscleFinding:
    """Parse `name[:side[:grade+grade]]` into a MuscleFinding (ValueError on a bad side)."""
    parts = token.split(":")
    name = parts[0].strip()
    side = None
    if len(parts) > 1 and parts[1].strip():
        side = SIDE_WORDS.get(parts[1].strip().upper())
        if side is None:
            raise ValueError(f"{token!r}: side must be L or R")
    grades = tuple(g for g in parts[2].split("+") if g) if len(parts) > 2 else ("tender",)
    if len(parts) > 3:
        raise ValueError(f"{token!r}: expected name[:side[:grades]]")
    return MuscleFinding(muscle=name, side=side, grades=grades or ("tender",))


def _segments_payload(findings: list[MuscleFinding]) -> dict[str, Any]:
    inference = infer_segments(findings)
    # Only a side whose findings localise gets sites: planning from a spread-out ranking would
    # turn "no answer" into a confident-looking plan.
    targets = [
        (level, group.side) for group in inference.localising_levels for level in group.levels
    ]
    plan = suggest_plan(targets) if targets else None
    payload = inference.to_dict()
    payload["findings"] = [
        {"muscle": f.muscle, "side": f.side, "grades": list(f.grades)} for f in findings
    ]
    payload["plan"] = [item.to_dict() for item in plan.items] if plan else []
    payload["plan_excluded"] = [e.to_dict() for e in plan.excluded] if plan else []
    return payload


def _format_table(payload: dict[str, Any]) -> str:
    lines = [
        "Likely segments (best first)",
        f"  {'#':>2}  {'Segment':<7} {'Side':<4} {'Score':>6}  Evidence",
    ]
    for rank, item in enumerate(payload["segments"], start=1):
        refs = ", ".join(f"{e['ref']} ({e['role']})" for e in item["evidence"][:4])
        more = len(item["evidence"]) - 4
        refs += f", +{more} more" if more > 0 else ""
        side = item["side"] or "-"
        lines.append(f"  {rank:>2}  {item['segment']:<7} {side:<4} {item['score']:>6.2f}  {refs}")
    lines.append("")
    for group in payload["levels"]:
        kind = "multi-level" if group["multi_level"] else "single level"
        if group["tied"]:
            kind = "tie: " + " and ".join(group["tied"]) + " score the same"
        if not group["localises"]:
            kind = "does not localise"
        lines.append(
            f"Involvement {group['side'] or 'side not recorded'}: {group['label']} ({kind})"
        )
    for warning in payload["warnings"]:
        lines.append(f"Warning: {warning['message']}")
    for cranial in payload["cranial"]:
        lines.append(
            f"Cranial nerve {cranial['nerve']} ({cranial['side'] or '-'}): {', '.join(cranial['muscles'])}"
        )
    if payload["plan"]:
        lines += ["", "Suggested sites"]
        for item in payload["plan"]:
            depth = f"{item['depth_mm'][0]}-{item['depth_mm'][1]} mm"
            hazards = ", ".join(h["id"] for h in item["hazards"]) or "none listed"
            thorax = " THORAX" if item["thorax"] else ""
            lines.append(
                f"  {item['side'] or '-'}  {item['name']:<34} {item['kind']:<10} {depth:<9} "
                f"{'/'.join(item['position']):<18} hazards: {hazards}{thorax}"
            )
    for excluded in payload["plan_excluded"]:
        lines.append(
            f"  not now: {excluded['muscle_id']} {excluded['side'] or '-'}: {excluded['reason']}"
        )
    return "\n".join(lines)


def run_segments_cli(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """`imsclinic segments FINDING... [--json]`; returns the exit code."""
    as_json = False
    tokens = []
    for arg in argv:
        if arg == "--json":
            as_json = True
        elif arg in ("-h", "--help"):
            _write(stdout, SEGMENTS_USAGE)
            return 0
        elif arg.startswith("--"):
            _write(stderr, f"error: unknown option {arg}\n{SEGMENTS_USAGE}")
            return 2
        else:
            tokens.append(arg)
    if not tokens:
        _write(stderr, f"error: give at least one FINDING\n{SEGMENTS_USAGE}")
        return 2
    try:
        findings = [parse_finding(token) for token in tokens]
        payload = _segments_payload(findings)
    except MuscleLookupError as exc:
        _write(stderr, f"error: {exc}")
        return 1
    except ValueError as exc:
        _write(stderr, f"error: {exc}")
        return 1
    _write(stdout, json.dumps(payload, indent=2) if as_json else _format_table(payload))
    return 0


def _read_json(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return json.loads(text)


def run_screen_cli(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """`imsclinic screen ANSWERS.json [--policy POLICY.json]`; returns the exit code."""
    args = list(argv)
    if any(a in ("-h", "--help") for a in args):
        _write(stdout, SCREEN_USAGE)
        return 0
    policy_path = None
    if "--policy" in args:
        at = args.index("--policy")
        if at + 1 >= len(args):
            _write(stderr, f"error: --policy needs a file\n{SCREEN_USAGE}")
            return 2
        policy_path = args[at + 1]
        del args[at : at + 2]
    unknown = [a for a in args if a.startswith("--")]
    if unknown or len(args) != 1:
        problem = f"unknown option {unknown[0]}" if unknown else "give exactly one ANSWERS.json"
        _write(stderr, f"error: {problem}\n{SCREEN_USAGE}")
        return 2
    try:
        answers = _read_json(args[0])
        policy = _read_json(policy_path) if policy_path else None
    except (OSError, json.JSONDecodeError) as exc:
        _write(stderr, f"error: cannot read JSON: {exc}")
        return 2
    try:
        result = screen(answers, policy)
    except (InvalidAnswersError, PolicyError) as exc:
        _write(stderr, json.dumps({"error": str(exc), "errors": exc.errors}, indent=2))
        return 1
    _write(stdout, json.dumps(result.to_dict(), indent=2))
    return 0
