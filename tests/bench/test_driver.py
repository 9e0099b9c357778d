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
    # CPU of the request's own thread: never more than its wall time (both rounded to 0.01 ms).
    assert 0 <= float(response["X-Server-Cpu-Ms"]) <= float(response["X-Server-Time-Ms"]) + 0.01


def test_query_counter_counts_the_queries_of_a_streamed_body(settings, db):
    from django.http import StreamingHttpResponse

    from imsclinic.patients.models import Patient

    settings.BENCH_QUERY_COUNT = True

    def view(request):
        def body():
            yield str(Patient.objects.count()).encode()
            yield str(Patient.objects.exists()).encode()

        return StreamingHttpResponse(body())

    response = middleware.QueryCountMiddleware(view)(RequestFactory().get("/"))
    assert response["X-Query-Count"] == "2"
    assert b"".join(response.streaming_content) == b"0False"


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([], 95) is None


def _run(size, p95, throughput, errors=0, database="sqlite"):
    hello = {"key": "hello", "label": "hello", "available": True, "throughput": 400.0}
    hello |= {"p50_ms": 2, "p95_ms": 4, "p99_ms": 5, "server_p95_ms": 1, "errors": 0}
    signed_in = {"key": "signed_in", "label": "Signed in", "available": True}
    signed_in |= {"throughput": 160.0, "p50_ms": 3, "p95_ms": 5, "p99_ms": 6, "errors": 0}
    signed_in |= {"server_p95_ms": 2}
    chart = {"key": "chart_summary", "label": "Chart", "available": True}
    chart |= {"throughput": throughput, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95}
    chart |= {"server_p95_ms": p95 - 5, "errors": errors, "queries_per_request": 12.0}
    chart |= {"server_cpu_p50_ms": p95 / 10}
    missing = {"key": "fhir_everything", "label": "FHIR", "available": False, "reason": "no route"}
    return {
        "database": database,
        "size": size,
        "spec": {},
        "counts": {"patients.Patient": 10},
        "heavy_patient_sessions": 500,
        "reused": False,
        "generation_seconds": 1.0,
        "endpoints": [hello, signed_in, chart, missing],
    }


SETTINGS = {"settings": {"workers": 2, "threads": 2, "concurrency": 2, "duration": 1}}


def test_report_ratios_and_targets():
    report = build_report([_run("small", 50, 40.0), _run("network", 120, 100.0)], {})
    small_chart = report["runs"][0]["endpoints"][2]
    assert small_chart["throughput_vs_hello"] == 0.1
    assert small_chart["throughput_vs_signed_in"] == 0.25
    targets = {t["target"]: t for t in report["targets"]}
    by_start = {name.split(" ")[0] + " " + name.split(" ")[1]: t for name, t in targets.items()}
    # Signed-in floor: 160/400 = 40% of hello, in both runs.
    assert by_start["Signed-in bare"]["status"] == "met"
    assert by_start["Signed-in bare"]["findings"] == ["sqlite/small: 40%", "sqlite/network: 40%"]
    # Chart throughput: 25% then 62% of the signed-in view; the first misses 50%.
    assert by_start["Chart summary"]["status"] in {"missed"}
    throughput = targets["Chart summary throughput ≥ 50% of the signed-in bare view"]
    assert throughput["findings"] == ["sqlite/small: 25% ✗", "sqlite/network: 62%"]
    # Server CPU medians 5 ms and 12 ms against 10 ms.
    cpu = targets["Chart summary (500 sessions): ≤ 10 ms median server CPU"]
    assert cpu["status"] == "missed" and cpu["findings"][1] == "sqlite/network: 12.0 ms ✗"
    # Only SQLite ran, so the PostgreSQL write load and the interleaved scale are not measured.
    assert by_start["PostgreSQL write"]["status"] == "not measured"
    assert by_start["Today, search,"]["status"] == "not measured"
    assert by_start["PDF report"]["status"] == "not measured"
    text = render_markdown(report | SETTINGS)
    assert "not available: no route" in text
    assert "| Chart | 40.0 | 0.1 |" in text
    json.dumps(report)  # serialisable as report.json


def test_postgresql_write_errors_miss_the_target():
    run = _run("small", 50, 200.0, database="postgresql")
    write = {"key": "write_load", "label": "Write load", "available": True, "operations": 300}
    write |= {"throughput": 15.0, "p50_ms": 80, "p95_ms": 200, "p99_ms": 300, "errors": 2}
    write |= {"server_p95_ms": 150}
    run["endpoints"].append(write)
    [target] = [t for t in build_report([run], {})["targets"] if "write load" in t["target"]]
    assert target["status"] == "missed"
    assert target["findings"] == ["postgresql/small write_load: 300 writes, 2 errors ✗"]
    write["errors"] = 0
    [target] = [t for t in build_report([run], {})["targets"] if "write load" in t["target"]]
    assert target["status"] == "met"


def test_interleaved_scale_is_judged_on_the_clinic_wide_pages_only():
    def page(key, small, network):
        sizes = {
            "small": {"p50_ms": small, "server_p50_ms": small - 1, "errors": 0, "operations": 9},
            "network": {"p50_ms": network, "server_p50_ms": network - 1, "errors": 0},
        }
        sizes["network"]["operations"] = 9
        return {
            "key": key,
            "label": key.title(),
            **sizes,
            "ratio_p50_ms": round(network / small, 2),
        }

    pages = [page("hello", 1.0, 1.2), page("today", 20.0, 22.0), page("analytics", 40.0, 80.0)]
    for p in pages:
        p["ratio_server_p50_ms"] = None
    scale = [{"database": "sqlite", "rounds": 6, "round_seconds": 2.0, "pages": pages}]
    report = build_report([_run("small", 50, 200.0)], {}, scale)
    [target] = [t for t in report["targets"] if t["target"].startswith("Today, search")]
    # hello is the noise floor, not judged; analytics doubles.
    assert target["findings"] == ["sqlite today: ×1.1", "sqlite analytics: ×2.0 ✗"]
    assert target["status"] == "missed"
    text = render_markdown(report | SETTINGS)
    assert "## sqlite · network against small, interleaved" in text
    assert "| Analytics | 40.0 | 80.0 | 2.0 |" in text


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


def test_worker_paths_give_each_client_its_own_path(recorder):
    plan = {"host": "127.0.0.1", "port": recorder.server_address[1]}
    endpoint = {"key": "w", "steps": [{"method": "GET", "worker_paths": ["/p1", "/p2", "/p3"]}]}
    for index in (2, 0, 2, 1):
        load.Worker(plan, endpoint, 0, load._empty_results(), index).run_once()
    assert _Recorder.seen == ["/p3", "/p1", "/p3", "/p2"]


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
    assert target["status"] == "missed" and target["findings"] == ["sqlite/small: ×2.5 idle ✗"]
    text = render_markdown(report | SETTINGS)
    assert "while 12 × report_pdf, 30 × fhir_everything ran, against 50 ms idle" in text
    assert "**×2.5**" in text
