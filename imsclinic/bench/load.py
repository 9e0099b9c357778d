"""The load driver: a separate process that hammers one endpoint at a time over keep-alive HTTP.

Pure standard library (http.client, threads), so CI needs nothing extra and the driver never
imports Django: it shares nothing with the server but the loopback socket. Run as

    python -m imsclinic.bench.load < plan.json > results.json

plan.json: {"host": "127.0.0.1", "port": 8123, "duration": 10, "concurrency": 2, "warmup": 1,
            "endpoints": [{"key": ..., "steps": [{"method": "GET", "path": "/x",
                            "headers": {...}, "body": null, "expect": [200],
                            "capture": "uuid"}]}]}

An endpoint is one or more steps run in order as one "operation" (e.g. create a session, then sign
it); a step may use `{captured}` from the JSON answer of the step before, and a step with
`"paths": [...]` takes the next path of the list each time (e.g. a different course's PDF, so a
cache cannot answer it), and one with `"worker_paths": [...]` gives each client its own path (e.g.
its own patient, when two clients must not write to one chart). An endpoint with `"background": [endpoint, ...]` is a contention
scenario: one worker per background endpoint runs it in a loop for the whole measurement, and the
figures are those of the foreground steps (e.g. chart views while PDFs print); the background
endpoints' operation counts and errors are reported alongside. Per endpoint the output holds
operations, throughput, latency percentiles (client side, and server side from X-Server-Time-Ms),
errors with their first status and body excerpt, and SQL queries per request from X-Query-Count.
Progress lines go to stderr.
"""

import http.client
import itertools
import json
import math
import sys
import threading
import time


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile by nearest rank (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


class Worker(threading.Thread):
    def __init__(self, plan, endpoint, deadline, results, index=0):
        super().__init__(daemon=True)
        self.index = index
        self.plan = plan
        self.endpoint = endpoint
        self.deadline = deadline
        self.results = results
        self.conn = None
        # Shared by every worker of the endpoint, so rotating paths are not requested twice in a
        # row by two workers (next() on itertools.count is atomic under the GIL).
        self.turns = endpoint.setdefault("_turns", itertools.count())

    def connect(self):
        self.conn = http.client.HTTPConnection(self.plan["host"], self.plan["port"], timeout=60)

    def request(self, step, captured):
        if step.get("worker_paths"):
            path = step["worker_paths"][self.index % len(step["worker_paths"])]
        elif step.get("paths"):
            path = step["paths"][next(self.turns) % len(step["paths"])]
        else:
            path = step["path"]
        path = path.replace("{captured}", captured or "")
        body = step.get("body")
        headers = dict(step.get("headers") or {})
        data = None
        if body is not None:
            data = json.dumps(body).replace("{captured}", captured or "").encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.connect()
                started = time.perf_counter()
                self.conn.request(step["method"], path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                return response, payload, elapsed
            except (ConnectionError, http.client.HTTPException, OSError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run(self):
        # At least one operation, even on a machine so busy that the thread starts late: a
        # contention figure must never be "measured" with its background load absent.
        self.run_once()
        while time.perf_counter() < self.deadline:
            self.run_once()

    def run_once(self):
        """One operation: every step of the endpoint in order."""
        r = self.results
        captured = None
        op_started = time.perf_counter()
        ok = True
        for step in self.endpoint["steps"]:
            try:
                response, payload, elapsed = self.request(step, captured)
            except Exception as exc:  # noqa: BLE001 - any failure is an error to report
                r["errors"] += 1
                r.setdefault("first_error", f"{type(exc).__name__}: {exc}")
                ok = False
                break
            r["requests"] += 1
            r["latencies"].append(elapsed)
            server = response.getheader("X-Server-Time-Ms")
            if server:
                r["server"].append(float(server))
            cpu = response.getheader("X-Server-Cpu-Ms")
            if cpu:
                r["server_cpu"].append(float(cpu))
            queries = response.getheader("X-Query-Count")
            if queries is not None:
                r["queries"].append(int(queries))
            if response.status not in step.get("expect", [200]):
                r["errors"] += 1
                r.setdefault(
                    "first_error",
                    f"{step['method']} {step['path']}: HTTP {response.status} "
                    + payload[:200].decode("utf-8", "replace"),
                )
                ok = False
                break
            if step.get("capture"):
                try:
                    captured = str(json.loads(payload)[step["capture"]])
                except (ValueError, KeyError, TypeError):
                    r["errors"] += 1
                    r.setdefault("first_error", f"no '{step['capture']}' in the answer")
                    ok = False
                    break
        if ok:
            r["operations"] += 1
            r["op_latencies"].append((time.perf_counter() - op_started) * 1000)


def _empty_results() -> dict:
    return {
        "requests": 0,
        "errors": 0,
        "operations": 0,
        "latencies": [],
        "server": [],
        "server_cpu": [],
        "queries": [],
        "op_latencies": [],
    }


def run_endpoint(plan, endpoint) -> dict:
    """Warm up, then run `concurrency` workers for `duration` seconds (with the endpoint's
    background load, if any, running throughout); summarise."""
    concurrency = endpoint.get("concurrency") or plan.get("concurrency", 2)
    duration = plan["duration"]
    # Warm-up on as many connections as the server has threads, so that every worker process
    # has served the endpoint once (first-use costs such as loading PDF fonts are not measured).
    warm = _empty_results()
    warm_until = time.perf_counter() + plan.get("warmup", 1)
    # One operation first: an endpoint slower than the whole warm-up is not warmed in parallel
    # (its first-use cost is small next to its own time, and parallel warm-up would take minutes).
    first = Worker(plan, endpoint, 0, warm)
    first.run_once()
    warmers = (
        []
        if time.perf_counter() >= warm_until
        else [
            Worker(plan, endpoint, warm_until, warm, index)
            # An endpoint that fixes its own concurrency (one writer) warms up with it too.
            for index in range(
                endpoint.get("concurrency") or max(concurrency, plan.get("warmup_concurrency", 1))
            )
        ]
    )
    for warmer in warmers:
        warmer.start()
    for warmer in warmers:
        warmer.join()
    results = [_empty_results() for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + duration
    background = [(bg, _empty_results()) for bg in endpoint.get("background") or []]
    workers = [Worker(plan, bg, deadline, r) for bg, r in background]
    workers += [Worker(plan, endpoint, deadline, results[i], i) for i in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    merged = {k: [] for k in ("latencies", "server", "server_cpu", "queries", "op_latencies")}
    totals = {"requests": 0, "errors": 0, "operations": 0}
    first_error = warm.get("first_error")
    for r in results:
        for k in merged:
            merged[k] += r[k]
        for k in totals:
            totals[k] += r[k]
        first_error = first_error or r.get("first_error")
    ops = merged["op_latencies"]
    return {
        "key": endpoint["key"],
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        **totals,
        "warmup_errors": warm["errors"],
        "throughput": round(totals["operations"] / elapsed, 2) if elapsed else 0,
        "p50_ms": _round(percentile(ops, 50)),
        "p95_ms": _round(percentile(ops, 95)),
        "p99_ms": _round(percentile(ops, 99)),
        "server_p50_ms": _round(percentile(merged["server"], 50)),
        "server_p95_ms": _round(percentile(merged["server"], 95)),
        "server_cpu_p50_ms": _round(percentile(merged["server_cpu"], 50)),
        "queries_per_request": (
            round(sum(merged["queries"]) / len(merged["queries"]), 1) if merged["queries"] else None
        ),
        "queries_max": max(merged["queries"]) if merged["queries"] else None,
        "first_error": first_error,
        **(
            {"background": [_background_summary(bg, r) for bg, r in background]}
            if background
            else {}
        ),
    }


def _background_summary(endpoint, results) -> dict:
    ops = results["op_latencies"]
    return {
        "key": endpoint["key"],
        "operations": results["operations"],
        "errors": results["errors"],
        "p50_ms": _round(percentile(ops, 50)),
        "first_error": results.get("first_error"),
    }


def _round(value):
    return None if value is None else round(value, 2)


def main() -> None:
    plan = json.load(sys.stdin)
    out = []
    for endpoint in plan["endpoints"]:
        print(f"  load: {endpoint['key']} for {plan['duration']} s …", file=sys.stderr, flush=True)
        result = run_endpoint(plan, endpoint)
        print(
            f"  load: {endpoint['key']}: {result['throughput']}/s, p95 {result['p95_ms']} ms, "
            f"{result['errors']} errors"
            + (f" (first: {result['first_error'][:300]})" if result["first_error"] else ""),
            file=sys.stderr,
            flush=True,
        )
        out.append(result)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
