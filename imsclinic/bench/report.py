"""report.json and report.md: per run and endpoint, throughput, latency, errors, SQL per request,
each also as a ratio to the bare `hello` view on the same server; then the issue's targets."""

import datetime
import json
import os
import platform
from pathlib import Path

TARGETS = [
    "No full scan of a large table on any page (EXPLAIN at network size)",
    "Chart of a 500-session patient: p95 ≤ 100 ms server time",
    "Every page's p95 at network size within 1.3× of small",
    "Analytics dashboard ≤ 1 s (p95)",
    "PDF report ≤ 1 s (p95)",
    "Chart-page throughput ≥ 40% of the bare view",
    "Chart p95 while PDFs print and FHIR exports run ≤ 2× idle",
]
CHART_KEYS = ("chart_summary", "chart_sessions")
CONTENTION_KEY = "chart_contention"  # bench.endpoints.CONTENTION_KEY (no Django import here)
IDLE_KEY = "chart_summary"


def _ratios(run: dict) -> None:
    hello = next((e for e in run["endpoints"] if e["key"] == "hello" and e.get("available")), None)
    for e in run["endpoints"]:
        if not e.get("available") or hello is None:
            continue
        if hello.get("throughput"):
            e["throughput_vs_hello"] = round(e["throughput"] / hello["throughput"], 3)
        if hello.get("p95_ms"):
            e["p95_vs_hello"] = round(e["p95_ms"] / hello["p95_ms"], 1)
    idle = next((e for e in run["endpoints"] if e["key"] == IDLE_KEY and e.get("available")), None)
    for e in run["endpoints"]:
        if e["key"] == CONTENTION_KEY and e.get("available") and idle and idle.get("p95_ms"):
            e["p95_vs_idle"] = round(e["p95_ms"] / idle["p95_ms"], 2)


def _check(name: str, runs: list[dict]) -> dict:
    """Evaluate one target over every run where it can be measured."""
    findings = []
    ok = True
    by = {(r["database"], r["size"]): {e["key"]: e for e in r["endpoints"]} for r in runs}
    for (database, size), eps in by.items():
        where = f"{database}/{size}"
        if name.startswith("Chart of"):
            for key in CHART_KEYS:
                e = eps.get(key)
                if e and e.get("available") and e.get("server_p95_ms") is not None:
                    passed = e["server_p95_ms"] <= 100 and not e["errors"]
                    ok &= passed
                    findings.append(f"{where} {key}: server p95 {e['server_p95_ms']} ms")
        elif name.startswith("Every page"):
            small = by.get((database, "small"))
            if size != "network" or small is None:
                continue
            for key, e in eps.items():
                s = small.get(key)
                if key == "hello" or not (e.get("available") and s and s.get("available")):
                    continue
                if e.get("p95_ms") and s.get("p95_ms"):
                    factor = e["p95_ms"] / s["p95_ms"]
                    passed = factor <= 1.3
                    ok &= passed
                    findings.append(f"{database} {key}: ×{factor:.2f}" + ("" if passed else " ✗"))
        elif name.startswith(("Analytics", "PDF")):
            key = "analytics" if name.startswith("Analytics") else "report_pdf"
            if name.startswith("Analytics") and size != "network":
                continue
            e = eps.get(key)
            if e and e.get("available") and e.get("p95_ms") is not None:
                passed = e["p95_ms"] <= 1000 and not e["errors"]
                ok &= passed
                findings.append(f"{where}: p95 {e['p95_ms']} ms")
        elif name.startswith("Chart-page"):
            for key in CHART_KEYS:
                e = eps.get(key)
                if e and e.get("throughput_vs_hello") is not None:
                    passed = e["throughput_vs_hello"] >= 0.4
                    ok &= passed
                    findings.append(f"{where} {key}: {e['throughput_vs_hello']:.0%} of hello")
        elif name.startswith("Chart p95 while"):
            e = eps.get(CONTENTION_KEY)
            if e and e.get("p95_vs_idle") is not None:
                passed = e["p95_vs_idle"] <= 2 and not e["errors"]
                ok &= passed
                findings.append(f"{where}: ×{e['p95_vs_idle']} idle")
        elif name.startswith("No full scan"):
            # Judged at network size: on small tables a scan is often the planner's right call.
            if size != "network":
                continue
            for p in next(r for r in runs if (r["database"], r["size"]) == (database, size)).get(
                "plans", []
            ):
                if p["full_scans"]:
                    ok = False
                    findings.append(f"{where} {p['key']}: {', '.join(p['full_scans'])}")
                else:
                    findings.append(f"{where} {p['key']}: indexed")
    status = "not measured" if not findings else ("met" if ok else "missed")
    return {"target": name, "status": status, "findings": findings}


def build_report(runs: list[dict], settings: dict) -> dict:
    for run in runs:
        _ratios(run)
    return {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": settings,
        "runs": runs,
        "targets": [_check(name, runs) for name in TARGETS],
    }


def _fmt(value, suffix="") -> str:
    return "–" if value is None else f"{value}{suffix}"


def render_markdown(report: dict) -> str:
    s = report["settings"]
    lines = [
        "# IMS Clinic benchmark report",
        "",
        f"Generated {report['generated_at']} on {report['machine']['cpus']} CPUs, Python "
        f"{report['machine']['python']} ({report['machine']['platform']}).",
        f"Server: gunicorn, {s['workers']} workers × {s['threads']} threads, production settings. "
        f"Load: {s['concurrency']} keep-alive connections per endpoint for {s['duration']} s "
        "from a separate process. Latency is per operation as the client saw it; server p95 is "
        "the view's own time (X-Server-Time-Ms). SQL = queries per request (X-Query-Count).",
        "",
        "## Targets",
        "",
        "| target | status | measured |",
        "|---|---|---|",
    ]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['status']} | {'; '.join(t['findings']) or '–'} |")
    for run in report["runs"]:
        counts = ", ".join(f"{n:,} {label.split('.')[-1]}" for label, n in run["counts"].items())
        lines += [
            "",
            f"## {run['database']} · {run['size']}",
            "",
            f"Data: {counts}. Heavy chart: {run['heavy_patient_sessions']} sessions. "
            + (
                "Data reused from an earlier generation."
                if run["reused"]
                else f"Generated in {run['generation_seconds']} s."
            ),
            "",
            "| endpoint | req/s | × hello | p50 ms | p95 ms | p99 ms | server p95 ms | errors "
            "| SQL/req |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for e in run["endpoints"]:
            if not e.get("available"):
                lines.append(f"| {e['label']} | not available: {e['reason']} ||||||||")
                continue
            lines.append(
                f"| {e['label']} | {e['throughput']} | {_fmt(e.get('throughput_vs_hello'))} "
                f"| {_fmt(e['p50_ms'])} | {_fmt(e['p95_ms'])} | {_fmt(e['p99_ms'])} "
                f"| {_fmt(e['server_p95_ms'])} | {e['errors']} | {_fmt(e.get('queries_per_request'))} |"
            )
        lines += _contention_lines(run)
        errors = [e for e in run["endpoints"] if e.get("first_error")]
        for e in errors:
            lines.append(f"\n{e['label']}: first error: `{e['first_error'][:160]}`")
        if run.get("plans"):
            lines += [
                "",
                "Query plans at this size (every SELECT of the page, EXPLAINed):",
                "",
                "| page | SELECTs | full scans of large tables | slowest query ms | all ms |",
                "|---|---|---|---|---|",
            ]
            for p in run["plans"]:
                scans = ", ".join(p["full_scans"]) or "none"
                lines.append(
                    f"| {p['key']} | {p['selects']} | {scans} | {_fmt(p['slowest_ms'])} "
                    f"| {_fmt(p['total_ms'])} |"
                )
    return "\n".join(lines) + "\n"


def _contention_lines(run: dict) -> list[str]:
    """One sentence: the chart's p95 under contention against idle, and what ran meanwhile."""
    eps = {e["key"]: e for e in run["endpoints"]}
    busy, idle = eps.get(CONTENTION_KEY), eps.get(IDLE_KEY)
    if not (busy and busy.get("available") and idle and idle.get("available")):
        return []
    meanwhile = ", ".join(
        f"{b['operations']} × {b['key']}" + (f" ({b['errors']} errors)" if b["errors"] else "")
        for b in busy.get("background", [])
    )
    return [
        "",
        f"Contention: chart summary p95 {_fmt(busy['p95_ms'], ' ms')} (server "
        f"{_fmt(busy['server_p95_ms'], ' ms')}) while {meanwhile or 'nothing'} ran, against "
        f"{_fmt(idle['p95_ms'], ' ms')} idle (server {_fmt(idle['server_p95_ms'], ' ms')}): "
        f"**×{_fmt(busy.get('p95_vs_idle'))}**.",
    ]


def write_report(report: dict, out: Path) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(report))
