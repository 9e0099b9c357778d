"""The benchmark's realistic mix, resolved against whatever the app serves right now.

Each endpoint names the route it needs (a URL name for pages, a route pattern for the API). An
endpoint whose route does not exist in this build is reported as "not available", with the
reason; it is never faked. The load driver then tries every available endpoint once in warm-up,
and a wrong answer there shows up as errors in the report.
"""

import re
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

from imsclinic.core.routes import iter_routes


@dataclass
class Fixture:
    """Records the endpoints are pointed at (found by bench_setup in the bench database)."""

    patient_uuid: str
    course_uuid: str | None
    search: str
    cookie: str
    token: str
    extra: dict = field(default_factory=dict)


@dataclass
class Endpoint:
    key: str
    label: str
    steps: list[dict] = field(default_factory=list)
    unavailable: str | None = None
    concurrency: int | None = None
    # Endpoints run in a loop, one worker each, while this one is measured (contention).
    background: list["Endpoint"] = field(default_factory=list)

    def to_plan(self) -> dict:
        plan = {
            "key": self.key,
            "label": self.label,
            "steps": self.steps,
            "concurrency": self.concurrency,
        }
        if self.background:
            plan["background"] = [b.to_plan() for b in self.background]
        return plan


def _page(fixture: Fixture, path: str) -> dict:
    return {"method": "GET", "path": path, "headers": {"Cookie": fixture.cookie}, "expect": [200]}


def _api(fixture: Fixture, method: str, path: str, body=None, expect=(200,), capture=None):
    step = {
        "method": method,
        "path": path,
        "headers": {"Authorization": f"Bearer {fixture.token}", "Accept": "application/json"},
        "expect": list(expect),
    }
    if body is not None:
        step["body"] = body
    if capture:
        step["capture"] = capture
    return step


def _reverse(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _route(pattern: str) -> str | None:
    """The first served route matching a regex, as a path template ('/...')."""
    regex = re.compile(pattern)
    for route, _ in iter_routes():
        if regex.fullmatch(route):
            return "/" + route
    return None


def _fill(template: str, value: str) -> str:
    return re.sub(r"<[^>]+>", value, template, count=1)


def resolve(fixture: Fixture) -> list[Endpoint]:
    """The mix, in report order. `hello` first: every other figure is compared with it."""
    patient = fixture.patient_uuid
    endpoints = [Endpoint("hello", "Bare Django view (ceiling)", [_hello()])]

    def page(key, label, name, query="", missing=None, **kwargs):
        path = _reverse(name, **kwargs)
        if path is None:
            endpoints.append(Endpoint(key, label, unavailable=missing or f"no URL named {name}"))
        else:
            endpoints.append(Endpoint(key, label, [_page(fixture, path + query)]))

    page("signed_in", "Bare signed-in view (the signed-in floor)", "bench:signed-in")
    page("today", "Today page", "today")
    page("patient_search", "Patient search", "patients:list", query=f"?q={fixture.search}")
    page("chart_summary", "Chart summary (500 sessions)", "patients:chart", patient_uuid=patient)
    page(
        "chart_sessions",
        "Chart: sessions tab (500 sessions)",
        "clinical:sessions",
        patient_uuid=patient,
    )
    page("outcomes_tab", "Outcome charts (patient)", "outcomes:tab", patient_uuid=patient)
    page("analytics", "Analytics dashboard", "outcomes:analytics")
    endpoints.append(_network_analytics(fixture))
    endpoints.append(_report_pdf(fixture))
    endpoints.append(_session_write(fixture))
    endpoints.append(_write_load(fixture))
    everything = _route(r"api/v1/fhir/Patient/<[^>]+>/\$everything")
    if everything:
        endpoints.append(
            Endpoint(
                "fhir_everything",
                "FHIR Patient $everything (500 sessions)",
                [_api(fixture, "GET", _fill(everything, patient))],
            )
        )
    else:
        endpoints.append(
            Endpoint("fhir_everything", "FHIR Patient $everything", unavailable="no route")
        )
    endpoints.extend(_billing(fixture))
    endpoints.append(contention(endpoints))
    return endpoints


CONTENTION_KEY = "chart_contention"


def contention(endpoints: list[Endpoint]) -> Endpoint:
    """Chart summary views while one client prints PDFs and another exports FHIR `$everything`:
    the report compares its p95 with the idle chart summary's (the issue: one PDF used to freeze
    every chart view of a clinic on SQLite)."""
    label = "Chart summary while PDFs print and FHIR exports run"
    by_key = {e.key: e for e in endpoints}
    names = {"chart_summary": "chart summary", "report_pdf": "PDF", "fhir_everything": "FHIR"}
    needed = [by_key.get(key) for key in names]
    missing = [name for name, e in zip(names.values(), needed, strict=True) if not _served(e)]
    if missing:
        return Endpoint(
            CONTENTION_KEY, label, unavailable=f"needs the {', '.join(missing)} endpoint"
        )
    chart, report_pdf, fhir = needed
    return Endpoint(CONTENTION_KEY, label, chart.steps, background=[report_pdf, fhir])


def _served(endpoint: Endpoint | None) -> bool:
    return endpoint is not None and not endpoint.unavailable


def _report_pdf(fixture: Fixture) -> Endpoint:
    """A PDF report, of a different course each time (up to a few hundred), so that the
    benchmark measures printing, not the per-version PDF cache (one course would be printed once
    per server process and then served from the cache)."""
    label = "PDF progress report (a different course each time)"
    kind = fixture.extra.get("report_kind", "progress")
    courses = fixture.extra.get("report_courses") or (
        [(fixture.patient_uuid, fixture.course_uuid)] if fixture.course_uuid else []
    )
    paths = [
        path
        for patient_uuid, course_uuid in courses
        if (
            path := _reverse(
                "reports:report-pdf",
                patient_uuid=patient_uuid,
                course_uuid=course_uuid,
                kind=kind,
            )
        )
    ]
    if not paths:
        return Endpoint("report_pdf", label, unavailable="no course or no report route")
    step = _page(fixture, paths[0]) | {"paths": paths}
    return Endpoint("report_pdf", label, [step])


def _network_analytics(fixture: Fixture) -> Endpoint:
    """The network owner's dashboard: every clinic of the network, month by month, signed in as
    an owner who is clinic admin at all of them (answered from the clinic-month rollups)."""
    label = "Network owner's analytics (every clinic)"
    path = _reverse("outcomes:network")
    cookie = fixture.extra.get("owner_cookie")
    if not (path and cookie):
        return Endpoint("network_analytics", label, unavailable="no network dashboard or no owner")
    step = {"method": "GET", "path": path, "headers": {"Cookie": cookie}, "expect": [200]}
    return Endpoint("network_analytics", label, [step])


WRITE_LOAD_CLIENTS = 6


def _write_load(fixture: Fixture) -> Endpoint:
    """Six API clients at one clinic, each charting and signing sessions for its own patient:
    the writes that used to deadlock on PostgreSQL (business rows against the audit chain's lock,
    the analytics rollups). Every answer must be the expected one: 0 server errors."""
    label = f"Write load: {WRITE_LOAD_CLIENTS} clients create and sign sessions (API)"
    create = _route(r"api/v1/clinical/patients/<[^>]+>/sessions")
    sign = _route(r"api/v1/clinical/sessions/<[^>]+>/sign")
    body = fixture.extra.get("session_body")
    writers = fixture.extra.get("load_writer_uuids") or []
    if not (create and sign and body and len(writers) >= WRITE_LOAD_CLIENTS):
        return Endpoint("write_load", label, unavailable="no clinical API or no writers")
    first = _api(fixture, "POST", _fill(create, writers[0]), body=body, expect=(201,))
    # Each client keeps to its own patient (a patient has one draft session at a time).
    first["worker_paths"] = [_fill(create, w) for w in writers[:WRITE_LOAD_CLIENTS]]
    first["capture"] = "uuid"
    return Endpoint(
        "write_load",
        label,
        [first, _api(fixture, "POST", _fill(sign, "{captured}"), body={}, expect=(200,))],
        concurrency=WRITE_LOAD_CLIENTS,
    )


def _hello() -> dict:
    return {"method": "GET", "path": reverse("bench:hello"), "expect": [200]}


def _session_write(fixture: Fixture) -> Endpoint:
    """Create a needling session for a patient in care and sign it, through the API."""
    label = "Create and sign a session (API)"
    create = _route(r"api/v1/clinical/patients/<[^>]+>/sessions")
    sign = _route(r"api/v1/clinical/sessions/<[^>]+>/sign")
    body = fixture.extra.get("session_body")
    writer = fixture.extra.get("writer_uuid")
    if not (create and sign and body and writer):
        missing = "create" if not create else "sign" if not sign else "a patient ready to treat"
        return Endpoint("session_write", label, unavailable=f"no clinical API to {missing}")
    return Endpoint(
        "session_write",
        label,
        [
            _api(fixture, "POST", _fill(create, writer), body=body, expect=(201,), capture="uuid"),
            _api(fixture, "POST", _fill(sign, "{captured}"), body={}, expect=(200,)),
        ],
        # One writer: a patient has at most one draft session at a time.
        concurrency=1,
    )


def _billing(fixture: Fixture) -> list[Endpoint]:
    """Issue 16's billing endpoints: create and issue an invoice through the API (the clinic's
    invoice counter is taken under a row lock each time), and the daily close-out page of a day
    with a realistic number of payments (bench_setup records them through the actions)."""
    create_label = "Create and issue an invoice (API)"
    create = _route(r"api/v1/billing/invoices")
    issue = _route(r"api/v1/billing/invoices/<[^>]+>/issue")
    writer = fixture.extra.get("writer_uuid")
    if create and issue and writer:
        body = {
            "patient": writer,
            "lines": [{"description": "IMS treatment", "unit_price": "95.00"}],
        }
        invoice = Endpoint(
            "invoice_create",
            create_label,
            [
                _api(fixture, "POST", create, body=body, expect=(201,), capture="uuid"),
                _api(fixture, "POST", _fill(issue, "{captured}"), body={}, expect=(200,)),
            ],
        )
    else:
        invoice = Endpoint("invoice_create", create_label, unavailable="no billing API")
    closeout_label = "Daily close-out report (a day of payments)"
    try:  # the report's URL parameter is called `name`, like _reverse's own
        path = reverse("billing:report", kwargs={"name": "close-out"})
    except NoReverseMatch:
        path = None
    day = fixture.extra.get("closeout_day")
    if path and day:
        closeout = Endpoint("closeout", closeout_label, [_page(fixture, f"{path}?day={day}")])
    else:
        closeout = Endpoint("closeout", closeout_label, unavailable="no close-out page or day")
    return [invoice, closeout]
