"""Progress reports and discharge summaries: one HTML template, printed in the browser or
rendered to PDF by WeasyPrint. The outcome charts are the same inline SVG as the chart tab."""

import functools
import hashlib
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string

from imsclinic.clinical.safety import precaution_records
from imsclinic.core.printing import print_pdf
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes.course import course_charts, load_course_data

KINDS = {"progress": "Progress report", "discharge": "Discharge summary"}
# A cached PDF is content-addressed (see cached_pdf), so it is never stale; the lifetime only
# bounds the memory old versions hold. Bump the format to drop every cached PDF at once.
PDF_CACHE_SECONDS = 24 * 3600
PDF_CACHE_FORMAT = "v2"  # v2: recipient, narrative and signer
CHART_SERIAL = re.compile(r"\bchart[0-9]+-")


def report_context(*, patient, course, kind: str, issued=None, signer=None) -> dict:
    """Everything the report shows: letterhead, recipient and cover letter, patient, diagnosis,
    narrative, dose, outcomes, AEs, plan and the signer.

    `issued` is the report's IssuedReport (a draft or issued), or None: then the narrative and
    plan are the ones pre-filled from the data. `signer` is {name, designation, registration}
    for a draft (the issued report carries its own snapshot).
    """
    from imsclinic.reports import narrative

    kb = load_knowledge()
    data = load_course_data(course)
    condition = kb.conditions.get(course.condition_id)
    assessment = course.assessment
    muscles = []
    for target in course.target_muscles or []:
        muscle = kb.muscles.get(target.get("muscle_id", "")) if isinstance(target, dict) else None
        if muscle:
            muscles.append(f"{muscle.name} ({target.get('side', '')})")
    context = {
        "kind": kind,
        "title": KINDS[kind],
        "clinic": patient.clinic,
        "patient": patient,
        "course": course,
        "data": data,
        "condition": condition.name if condition else (course.condition_id or ""),
        "working_diagnosis": getattr(assessment, "working_diagnosis", "") if assessment else "",
        "icd10": course.icd10_codes or (getattr(assessment, "icd10_codes", None) or []),
        "muscles": muscles,
        "precautions": precaution_records(patient),
        "generated_on": patient.clinic.today(),
        **course_charts(data),
    }
    if issued is not None:
        context.update(
            issued=issued,
            recipient_name=issued.recipient_name,
            recipient_address=issued.recipient_address,
            cover_letter=issued.cover_letter,
            narrative=issued.narrative,
            plan=issued.plan,
        )
        if issued.is_issued:
            signer = {
                "name": issued.signer_name,
                "designation": issued.signer_designation,
                "registration": issued.signer_registration,
            }
    else:
        context.update(
            issued=None,
            recipient_name=narrative.default_recipient(patient),
            recipient_address="",
            cover_letter="",
            narrative=narrative.default_narrative(context),
            plan=narrative.default_plan(context),
        )
    context["signer"] = signer or {
        "name": course.practitioner.display_name,
        "designation": "",
        "registration": "",
    }
    return context


def render_html(context: dict, *, for_pdf: bool) -> str:
    return render_to_string("reports/report.html", {**context, "for_pdf": for_pdf})


def render_pdf(context: dict) -> bytes:
    """The report as PDF bytes (WeasyPrint; the stylesheet is read from the static files)."""
    return write_pdf(render_html(context, for_pdf=True))


def write_pdf(html: str) -> bytes:
    """Lay out and print the report's HTML: the slow part (about 0.2-0.7 s of CPU), done in a
    render process (core.printing) so that it does not slow the server's other requests."""
    stylesheet = _stylesheet()
    return print_pdf(html, base_url=str(Path(stylesheet).parent), stylesheets=[stylesheet]).pdf


def cached_pdf(context: dict) -> bytes:
    """The report as PDF, printed once per report version and then served from the cache.

    The version is a digest of the report's HTML and stylesheet: the HTML holds everything the
    PDF shows (clinic letterhead, patient, course, sessions, outcomes, adverse events, the date
    it was prepared), so any change to the course or report data is a new version, and no
    writer anywhere has to remember to bump a stamp. Rendering the HTML costs a few
    milliseconds; printing it is what the cache saves.
    """
    html = render_html(context, for_pdf=True)
    key = pdf_cache_key(context, html)
    pdf = cache.get(key)
    if pdf is None:
        pdf = write_pdf(html)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


def pdf_cache_key(context: dict, html: str) -> str:
    # Each chart's SVG gets a process-wide serial id ("chart17-t") that only links its title to
    # it; two renders of the same report differ there and nowhere else.
    digest = hashlib.sha256(CHART_SERIAL.sub("chart-", html).encode())
    digest.update(_stylesheet_digest().encode())
    course, kind = context["course"], context["kind"]
    return f"reports:pdf:{PDF_CACHE_FORMAT}:{course.uuid}:{kind}:{digest.hexdigest()}"


@functools.cache
def _stylesheet() -> str:
    return finders.find("imsclinic/reports.css")


@functools.cache
def _stylesheet_digest() -> str:
    return hashlib.sha256(Path(_stylesheet()).read_bytes()).hexdigest()
