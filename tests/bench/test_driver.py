"""The bench's pieces: the hello ceiling, the query counter, the load driver, the report."""

import json

import pytest
from django.test import RequestFactory

from imsclinic.bench import middleware
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
