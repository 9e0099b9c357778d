"""No page of the demo clinic shows an internal token: no snake_case value, no UUID.

Users read labels ("Extensor digitorum longus, right"), never knowledge ids, raw enum values or
record ids. This test builds the demo clinic, signs in as each demo role and follows every GET link
reachable from the main pages (same origin, bounded), then reads the visible text of each HTML page:
the markup without tags, attributes, scripts and styles.
"""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from imsclinic.accounts.models import User
from imsclinic.web.demo import build_demo
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
# Email addresses are shown to staff on purpose and may hold underscores; they are removed before
# the scan. Nothing else is allowed.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")

MAX_PAGES_PER_ROLE = 150
# Links a crawl must not follow: signing out ends the crawl; downloads and the API are not pages;
# the developers' admin edits raw rows by design.
SKIPPED_PREFIXES = ("/accounts/logout", "/api/", "/static/", "/media/", "/django-admin/")
# The main pages; everything else is reached by following links.
START_PAGES = {
    "practitioner": ["/today/", "/patients/", "/schedule/", "/outcomes/analytics/"],
    "frontdesk": [
        "/today/",
        "/patients/",
        "/schedule/",
        "/screening/requests/",
        "/schedule/waitlist/",
    ],
    "admin": ["/today/", "/patients/", "/schedule/", "/outcomes/analytics/", "/interop/exports/"],
    "patient": ["/portal/", "/portal/pain-drawing/"],
}
# Pages of one URL pattern share a template: a few of each (different records) are enough.
PER_ROUTE = 3


class _VisibleText(HTMLParser):
    """Collects the text a person sees (the title included): no tags, attributes, scripts,
    styles or templates."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        if tag == "a":
            attributes = dict(attrs)
            href = attributes.get("href")
            if href and "download" not in attributes:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data):
        if not self.hidden_depth:
            self.chunks.append(data)


def _same_origin_path(base: str, href: str) -> str | None:
    url, _fragment = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return None
    return path


def _route(path: str) -> str:
    try:
        return resolve(path.split("?")[0]).route
    except Resolver404:
        return path


def _crawl(client, start_pages):
    """Visit pages breadth-first; return {path: visible text} for every HTML page reached."""
    seen = set(start_pages)
    per_route = Counter(_route(p) for p in start_pages)
    queue = deque(start_pages)
    texts: dict[str, str] = {}
    while queue and len(texts) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if response.status_code != 200:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if response.get("Content-Disposition", "").startswith("attachment"):
            continue
        parser = _VisibleText()
        parser.feed(response.content.decode())
        texts[path] = " ".join(parser.chunks)
        for href in parser.links:
            target = _same_origin_path(path, href)
            if not target or target in seen:
                continue
            route = _route(target)
            if per_route[route] < PER_ROUTE:
                per_route[route] += 1
                seen.add(target)
                queue.append(target)
    return texts


def _internal_tokens(text: str) -> list[str]:
    text = EMAIL.sub(" ", text)
    return SNAKE_CASE.findall(text) + UUID.findall(text)


def _open_drafts(ctx) -> dict[str, list[str]]:
    """Draft records and edit forms the demo itself leaves closed: a draft session (its pre-check
    form with every contraindication and the region picker), a draft assessment (the body chart,
    screening re-check, level grid and the patient's own drawing), a draft report, each made the
    way a person makes them, so the crawl reads their forms too. Returns extra start pages."""
    from django.urls import reverse

    from imsclinic.clinical import actions
    from imsclinic.clinical.models import CourseOfCare

    practitioner = ctx.users["practitioner"]
    course = (
        CourseOfCare.objects.filter(clinic=ctx.clinic, practitioner=practitioner, status="active")
        .select_related("patient")
        .order_by("id")
        .first()
    )
    assert course is not None, "the demo has an active course to open a session in"
    session = actions.start_session(patient=course.patient, by=practitioner, course=course)
    portal_patient = ctx.extras["portal_patient"]
    actions.save_pain_drawing(
        patient=portal_patient,
        by=ctx.users["patient"],
        marks=[{"region": "low_back_r", "pain_type": "burning", "intensity": 6}],
    )
    assessment = actions.start_assessment(patient=portal_patient, by=practitioner)
    patient_pages = [
        reverse(name, args=[patient.uuid])
        for patient in (course.patient, portal_patient)
        for name in ("patients:edit", "clinical:course", "clinical:consent")
    ]
    return {
        "practitioner": [
            reverse("clinical:session", args=[session.uuid]),
            reverse("clinical:assessment", args=[assessment.uuid]),
            reverse("reports:edit", args=[course.patient.uuid, course.uuid, "progress"]),
            "/schedule/book/",
            "/profile/",
            *patient_pages,
        ],
        "admin": ["/clinic-admin/", "/profile/"],
    }


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup, django_db_blocker):
    with rolled_back_for_the_module(django_db_blocker):
        yield _open_drafts(build_demo(patients=8, seed=3))


@pytest.mark.parametrize("username", sorted(START_PAGES))
def test_no_page_shows_an_internal_token(demo_clinic, client, username):
    client.force_login(User.objects.get(username=username))
    opened = demo_clinic.get(username, [])
    texts = _crawl(client, START_PAGES[username] + opened)
    # Every draft and edit form opened for the crawl was read.
    assert set(opened) <= set(texts), sorted(set(opened) - set(texts))
    if username == "practitioner":
        draft_session = texts[demo_clinic["practitioner"][0]]
        assert "Nothing new / save check" in draft_session  # the pre-check form itself
        assert "The patient's own drawing" in texts[demo_clinic["practitioner"][1]]
    offenders = {path: found for path, text in texts.items() if (found := _internal_tokens(text))}
    assert not offenders, "Internal tokens shown to users:\n" + "\n".join(
        f"{path}: {sorted(set(found))}" for path, found in sorted(offenders.items())
    )
