"""The bench's pieces: the hello ceiling, the query counter, the load driver, the report."""

import http.server
import json
import threading

import pytest
from django.test import RequestFactory

from imsclinic.bench import load, middleware
from imsclinic.bench.endpoints import Endpoint, contention
from imsclinic.bench.load import percentile
from imsclinic.bench.report import build_report, render_markdown


def test_hello_is_public_and_tiny(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/bench/hello")
    assert response.status_code == 200
    assert response.content == b"hello"
    assert "sessionid" not in response.cookies


def test_query_counter_is_off_unless_asked(settings):
    from django.core.exceptions import MiddlewareNotUsed

    settings.BENCH_QUERY_COUNT = False
    with pytest.raises(MiddlewareNotUsed):
        middleware.QueryCountMiddleware(lambda request: None)


def test_query_counter_counts_the_requests_queries(settings, db):
    from django.http import HttpResponse

    from imsclinic.patients.models import Patient

    settings.BENCH_QUERY_COUNT = True

    def view(request):
        Patient.objects.count()
        Patient.objects.exists()
        return HttpResponse("ok")

    response = middleware.QueryCountMiddleware(view)(RequestFactory().get("/"))
    assert response["X-Query-Count"] == "2"
    assert float(response["X-Server-Time-Ms"]) >= 0


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([], 95) is None


def _run(size, p95, throughput, errors=0):
    hello = {"key": "hello", "label": "hello", "available": True, "throughput": 400.0}
    hello |= {"p50_ms": 2, "p95_ms": 4, "p99_ms": 5, "server_p95_ms": 1, "errors": 0}
    chart = {"key": "chart_summary", "label": "Chart", "available": True}
    chart |= {"throughput": throughput, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95}
    chart |= {"server_p95_ms": p95 - 5, "errors": errors, "queries_per_request": 12.0}
    missing = {"key": "fhir_everything", "label": "FHIR", "available": False, "reason": "no route"}
    return {
        "database": "sqlite",
        "size": size,
        "spec": {},
        "counts": {"patients.Patient": 10},
        "heavy_patient_sessions": 500,
        "reused": False,
        "generation_seconds": 1.0,
        "endpoints": [hello, chart, missing],
    }


def test_report_ratios_and_targets():
    report = build_report([_run("small", 50, 200.0), _run("network", 80, 180.0)], {})
    chart = report["runs"][0]["endpoints"][1]
    assert chart["throughput_vs_hello"] == 0.5
    targets = {t["target"][:12]: t for t in report["targets"]}
    assert targets["Chart of a 5"]["status"] == "met"
    assert targets["Every page's"]["status"] == "missed"  # 80/50 = 1.6× > 1.3×
    assert targets["Chart-page t"]["status"] == "met"
    assert targets["PDF report ≤"]["status"] == "not measured"
    text = render_markdown(
        report | {"settings": {"workers": 2, "threads": 2, "concurrency": 2, "duration": 1}}
    )
    assert "not available: no route" in text
    assert "| Chart | 200.0 | 0.5 |" in text
    json.dumps(report)  # serialisable as report.json


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback server that answers 200 and remembers every path asked for."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).seen.append(self.path)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_rotating_paths_are_requested_in_turn(recorder):
    plan = {"host": "127.0.0.1", "port": recorder.server_address[1]}
    endpoint = {"key": "pdf", "steps": [{"method": "GET", "paths": ["/a", "/b", "/c"]}]}
    results = load._empty_results()
    worker = load.Worker(plan, endpoint, 0, results)
    for _ in range(4):
        worker.run_once()
    assert _Recorder.seen == ["/a", "/b", "/c", "/a"]
    assert results["operations"] == 4 and results["errors"] == 0


def test_a_contention_endpoint_runs_its_background_load_while_it_is_measured(recorder):
    plan = {"host": "127.0.0.1", "port": recorder.server_address[1], "duration": 0.2}
    plan |= {"warmup": 0, "concurrency": 1}
    endpoint = {
        "key": "chart_contention",
        "steps": [{"method": "GET", "path": "/chart"}],
        "background": [
            {"key": "report_pdf", "steps": [{"method": "GET", "paths": ["/pdf/1", "/pdf/2"]}]},
            {"key": "fhir_everything", "steps": [{"method": "GET", "path": "/fhir"}]},
        ],
    }
    result = load.run_endpoint(plan, endpoint)
    assert result["operations"] >= 1 and result["errors"] == 0
    background = {b["key"]: b for b in result["background"]}
    assert set(background) == {"report_pdf", "fhir_everything"}
    assert all(b["operations"] >= 1 and b["errors"] == 0 for b in background.values())
    assert "/pdf/1" in _Recorder.seen and "/fhir" in _Recorder.seen


def test_the_contention_endpoint_needs_chart_pdf_and_fhir():
    chart = Endpoint("chart_summary", "Chart", [{"method": "GET", "path": "/c"}])
    pdf = Endpoint("report_pdf", "PDF", [{"method": "GET", "path": "/p"}])
    fhir = Endpoint("fhir_everything", "FHIR", unavailable="no route")
    assert contention([chart, pdf, fhir]).unavailable == "needs the FHIR endpoint"
    fhir = Endpoint("fhir_everything", "FHIR", [{"method": "GET", "path": "/f"}])
    plan = contention([chart, pdf, fhir]).to_plan()
    assert plan["steps"] == chart.steps
    assert [b["key"] for b in plan["background"]] == ["report_pdf", "fhir_everything"]


def test_report_compares_the_chart_under_contention_with_idle():
    run = _run("small", 50, 200.0)
    busy = {"key": "chart_contention", "label": "Chart while PDFs print", "available": True}
    busy |= {"throughput": 100.0, "p50_ms": 40, "p95_ms": 125.0, "p99_ms": 150, "errors": 0}
    busy |= {"server_p95_ms": 90.0, "queries_per_request": 12.0}
    busy["background"] = [
        {"key": "report_pdf", "operations": 12, "errors": 0},
        {"key": "fhir_everything", "operations": 30, "errors": 0},
    ]
    run["endpoints"].append(busy)
    report = build_report([run], {})
    assert report["runs"][0]["endpoints"][-1]["p95_vs_idle"] == 2.5
    [target] = [t for t in report["targets"] if t["target"].startswith("Chart p95 while")]
    assert target["status"] == "missed" and target["findings"] == ["sqlite/small: ×2.5 idle"]
    text = render_markdown(
        report | {"settings": {"workers": 2, "threads": 2, "concurrency": 2, "duration": 1}}
    )
    assert "while 12 × report_pdf, 30 × fhir_everything ran, against 50 ms idle" in text
    assert "**×2.5**" in text
