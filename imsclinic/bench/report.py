"""report.json and report.md: per run and endpoint, throughput, latency, errors, SQL per request,
each also as a ratio to the bare `hello` view on the same server; then the issue's targets."""

import datetime
import json
import os
import platform
from pathlib import Path

# Issue 14's targets, each measured as a ratio or a count within one run, so that the machine's
# speed cancels out; then the earlier targets still worth watching.
TARGETS = [
    "PostgreSQL write load: 0 server errors",
    "Chart summary (500 sessions): ≤ 10 ms median server CPU",
    "Chart summary throughput ≥ 50% of the signed-in bare view",
    "Signed-in bare view throughput ≥ 30% of the anonymous bare view",
    "Chart p95 while PDFs print and FHIR exports run ≤ 2× idle",
    "Today, search, analytics, close-out: network/small ≤ 1.3× (interleaved)",
    "Network owner's analytics over every clinic ≤ 1 s (p95)",
    "No full scan of a large table on any page (EXPLAIN at network size)",
    "Chart of a 500-session patient: p95 ≤ 100 ms server time",
    "PDF report ≤ 1 s (p95)",
]
CHART_KEYS = ("chart_summary", "chart_sessions")
CONTENTION_KEY = "chart_contention"  # bench.endpoints.CONTENTION_KEY (no Django import here)
IDLE_KEY = "chart_summary"
WRITE_KEYS = ("write_load", "session_write")
SCALE_JUDGED = ("today", "patient_search", "analytics", "closeout")


def _ratios(run: dict) -> None:
    eps = {e["key"]: e for e in run["endpoints"] if e.get("available")}
    hello, signed_in, idle = eps.get("hello"), eps.get("signed_in"), eps.get(IDLE_KEY)
    for e in eps.values():
        if hello and hello.get("throughput"):
            e["throughput_vs_hello"] = round(e["throughput"] / hello["throughput"], 3)
        if hello and hello.get("p95_ms") and e.get("p95_ms") is not None:
            e["p95_vs_hello"] = round(e["p95_ms"] / hello["p95_ms"], 1)
        if signed_in and signed_in.get("throughput"):
            e["throughput_vs_signed_in"] = round(e["throughput"] / signed_in["throughput"], 3)
    busy = eps.get(CONTENTION_KEY)
    if busy and idle and idle.get("p95_ms") and busy.get("p95_ms") is not None:
        busy["p95_vs_idle"] = round(busy["p95_ms"] / idle["p95_ms"], 2)


class _Judge:
    """Findings for one target: each a sentence, each passed or not."""

    def __init__(self):
        self.findings: list[str] = []
        self.ok = True

    def add(self, text: str, passed: bool) -> None:
        self.ok &= passed
        self.findings.append(text + ("" if passed else " ✗"))

    def result(self, name: str) -> dict:
        status = "not measured" if not self.findings else ("met" if self.ok else "missed")
        return {"target": name, "status": status, "findings": self.findings}


def _each_run(runs: list[dict]):
    for run in runs:
        eps = {e["key"]: e for e in run["endpoints"] if e.get("available")}
        yield f"{run['database']}/{run['size']}", run, eps


def _check(name: str, runs: list[dict], scale: list[dict]) -> dict:
    """Evaluate one target over every run (or interleaved comparison) where it can be measured."""
    judge = _Judge()
    if name.startswith("PostgreSQL write load"):
        for where, run, eps in _each_run(runs):
            if run["database"] != "postgresql":
                continue
            for key in WRITE_KEYS:
                if e := eps.get(key):
                    judge.add(
                        f"{where} {key}: {e['operations']} writes, {e['errors']} errors",
                        not e["errors"] and not e.get("warmup_errors"),
                    )
    elif name.startswith("Chart summary (500"):
        for where, _, eps in _each_run(runs):
            e = eps.get("chart_summary")
            if e and e.get("server_cpu_p50_ms") is not None:
                judge.add(f"{where}: {e['server_cpu_p50_ms']} ms", e["server_cpu_p50_ms"] <= 10)
    elif name.startswith("Chart summary throughput"):
        for where, _, eps in _each_run(runs):
            e = eps.get("chart_summary")
            if e and e.get("throughput_vs_signed_in") is not None:
                ratio = e["throughput_vs_signed_in"]
                judge.add(f"{where}: {ratio:.0%}", ratio >= 0.5)
    elif name.startswith("Signed-in bare view"):
        for where, _, eps in _each_run(runs):
            e = eps.get("signed_in")
            if e and e.get("throughput_vs_hello") is not None:
                ratio = e["throughput_vs_hello"]
                judge.add(f"{where}: {ratio:.0%}", ratio >= 0.3)
    elif name.startswith("Chart p95 while"):
        for where, _, eps in _each_run(runs):
            e = eps.get(CONTENTION_KEY)
            if e and e.get("p95_vs_idle") is not None:
                judge.add(
                    f"{where}: ×{e['p95_vs_idle']} idle", e["p95_vs_idle"] <= 2 and not e["errors"]
                )
    elif name.startswith("Today, search"):
        for comparison in scale:
            for page in comparison["pages"]:
                ratio = page.get("ratio_p50_ms")
                if page["key"] in SCALE_JUDGED and ratio is not None:
                    judge.add(f"{comparison['database']} {page['key']}: ×{ratio}", ratio <= 1.3)
    elif name.startswith("Network owner"):
        for where, run, eps in _each_run(runs):
            e = eps.get("network_analytics")
            if run["size"] == "network" and e and e.get("p95_ms") is not None:
                judge.add(f"{where}: p95 {e['p95_ms']} ms", e["p95_ms"] <= 1000 and not e["errors"])
    elif name.startswith("No full scan"):
        # Judged at network size: on small tables a scan is often the planner's right call.
        for where, run, _ in _each_run(runs):
            if run["size"] != "network":
                continue
            for plan in run.get("plans", []):
                scans = plan["full_scans"]
                judge.add(f"{where} {plan['key']}: {', '.join(scans) or 'indexed'}", not scans)
    elif name.startswith("Chart of"):
        for where, _, eps in _each_run(runs):
            for key in CHART_KEYS:
                e = eps.get(key)
                if e and e.get("server_p95_ms") is not None:
                    judge.add(
                        f"{where} {key}: server p95 {e['server_p95_ms']} ms",
                        e["server_p95_ms"] <= 100 and not e["errors"],
                    )
    elif name.startswith("PDF"):
        for where, _, eps in _each_run(runs):
            e = eps.get("report_pdf")
            if e and e.get("p95_ms") is not None:
                judge.add(f"{where}: p95 {e['p95_ms']} ms", e["p95_ms"] <= 1000 and not e["errors"])
    return judge.result(name)


def build_report(runs: list[dict], settings: dict, scale: list[dict] | None = None) -> dict:
    scale = scale or []
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
        "scale": scale,
        "targets": [_check(name, runs, scale) for name in TARGETS],
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
            + _search_sentence(run)
            + (
                "Data reused from an earlier generation."
                if run["reused"]
                else f"Generated in {run['generation_seconds']} s."
            ),
            "",
            "| endpoint | req/s | × hello | p50 ms | p95 ms | p99 ms | server p95 ms "
            "| server CPU p50 ms | errors | SQL/req |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for e in run["endpoints"]:
            if not e.get("available"):
                lines.append(f"| {e['label']} | not available: {e['reason']} |||||||||")
                continue
            lines.append(
                f"| {e['label']} | {e['throughput']} | {_fmt(e.get('throughput_vs_hello'))} "
                f"| {_fmt(e['p50_ms'])} | {_fmt(e['p95_ms'])} | {_fmt(e['p99_ms'])} "
                f"| {_fmt(e['server_p95_ms'])} | {_fmt(e.get('server_cpu_p50_ms'))} "
                f"| {e['errors']} | {_fmt(e.get('queries_per_request'))} |"
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
    for comparison in report.get("scale", []):
        lines += _scale_lines(comparison)
    return "\n".join(lines) + "\n"


def _scale_lines(comparison: dict) -> list[str]:
    lines = [
        "",
        f"## {comparison['database']} · network against small, interleaved",
        "",
        f"Both sizes' servers up at once; each page alternately on one and the other, "
        f"{comparison['rounds']} rounds of {comparison['round_seconds']} s. Medians over the "
        "rounds. `Bare Django view` reads no data: its ratio is the method's noise floor.",
        "",
        "| page | small p50 ms | network p50 ms | × | small server p50 ms "
        "| network server p50 ms | × (server) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for page in comparison["pages"]:
        small, network = page["small"], page["network"]
        lines.append(
            f"| {page['label']} | {_fmt(small['p50_ms'])} | {_fmt(network['p50_ms'])} "
            f"| {_fmt(page['ratio_p50_ms'])} | {_fmt(small['server_p50_ms'])} "
            f"| {_fmt(network['server_p50_ms'])} | {_fmt(page['ratio_server_p50_ms'])} "
            f"| {small['errors'] + network['errors']} |"
        )
    return lines


def _search_sentence(run: dict) -> str:
    search = run.get("search")  # absent from reports written before 2026-11-27 (afternoon)
    if not search:
        return ""
    return (
        f'Patient search looks for "{search["term"]}", the longest name prefix that fills '
        f"the first page here ({search['matches']:,} patients match). "
    )


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
