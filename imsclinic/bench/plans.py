"""Query plans of every page in the mix, at the data size being benchmarked.

tests/perf checks plans on tiny data with sequential scans priced out; this checks them on the
real thing. Each page is requested in-process, every SELECT it ran is captured and EXPLAINed
(PostgreSQL: EXPLAIN (ANALYZE, FORMAT JSON); SQLite: EXPLAIN QUERY PLAN, timed by running it),
and the report lists, per page, full scans of large tables and the slowest query.
"""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

# Tables that grow with the network; a full scan of one of these is a finding.
LARGE_TABLES = {
    "patients_patient",
    "clinical_assessment",
    "clinical_courseofcare",
    "clinical_consent",
    "clinical_treatmentsession",
    "clinical_needlingrow",
    "clinical_adverseevent",
    "outcomes_questionnaireresponse",
    "scheduling_appointment",
    "audit_chartaccess",
    "audit_auditevent",
}


def _pg_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def explain(sql: str) -> dict:
    """{"full_scans": [...tables], "ms": execution time} for one captured SELECT."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            doc = cursor.fetchone()[0]
            doc = doc[0] if isinstance(doc, list) else doc
            scans = {
                n.get("Relation Name")
                for n in _pg_nodes(doc["Plan"])
                if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in LARGE_TABLES
            }
            return {"full_scans": sorted(scans), "ms": round(doc["Execution Time"], 2)}
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        scans = set()
        # "ORDER BY id DESC LIMIT 1" with no WHERE (the audit chains' last row) reads one row
        # from the end of the rowid b-tree, though SQLite calls it a SCAN.
        last_row = " WHERE " not in sql and sql.rstrip().endswith('"id" DESC LIMIT 1')
        for row in [] if last_row else cursor.fetchall():
            detail = row[-1]
            if detail.startswith("SCAN ") and " USING " not in detail:
                table = detail.split()[1]
                if table in LARGE_TABLES:
                    scans.add(table)
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        return {
            "full_scans": sorted(scans),
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }


def page_plans(user, endpoints: list) -> list[dict]:
    """Plan every SELECT of every available GET page/API endpoint in `endpoints`."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    out = []
    for endpoint in endpoints:
        if endpoint.unavailable or endpoint.key == "hello" or endpoint.background:
            continue
        step = endpoint.steps[0]
        if step["method"] != "GET":
            continue
        headers = {k: v for k, v in (step.get("headers") or {}).items() if k != "Cookie"}
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(step["path"], headers=headers)
        selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().startswith("SELECT")]
        explained = []
        for sql in selects:
            try:
                explained.append((explain(sql), sql))
            except Exception as exc:  # noqa: BLE001 - a plan we cannot take is reported, not fatal
                explained.append(({"full_scans": [], "ms": None, "error": str(exc)[:120]}, sql))
        slowest = max(explained, key=lambda e: e[0]["ms"] or 0, default=None)
        out.append(
            {
                "key": endpoint.key,
                "status": response.status_code,
                "selects": len(selects),
                "full_scans": sorted({t for e, _ in explained for t in e["full_scans"]}),
                "full_scan_sql": [_short(sql) for e, sql in explained if e["full_scans"]][:3],
                "slowest_ms": slowest[0]["ms"] if slowest else None,
                "slowest_sql": _short(slowest[1]) if slowest else None,
                "total_ms": round(sum(e["ms"] or 0 for e, _ in explained), 2),
            }
        )
    return out


def _short(sql: str) -> str:
    """The part of a query that explains its plan: from FROM on (the column list says nothing)."""
    start = sql.find(" FROM ")
    return ("SELECT … " + sql[start + 1 :] if start > 0 else sql)[:400]
