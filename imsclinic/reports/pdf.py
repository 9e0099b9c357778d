"""Progress reports and discharge summaries: one HTML template, printed in the browser or
rendered to PDF by WeasyPrint. The outcome charts are the same inline SVG as the chart tab."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from imsclinic.clinical.safety import precaution_records
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes.course import course_charts, load_course_data

KINDS = {"progress": "Progress report", "discharge": "Discharge summary"}


def report_context(*, patient, course, kind: str) -> dict:
    """Everything the report shows: letterhead, patient, diagnosis, dose, outcomes, AEs, plan."""
    kb = load_knowledge()
    data = load_course_data(course)
    condition = kb.conditions.get(course.condition_id)
    assessment = course.assessment
    muscles = []
    for target in course.target_muscles or []:
        muscle = kb.muscles.get(target.get("muscle_id", "")) if isinstance(target, dict) else None
        if muscle:
            muscles.append(f"{muscle.name} ({target.get('side', '')})")
    return {
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


def render_html(context: dict, *, for_pdf: bool) -> str:
    return render_to_string("reports/report.html", {**context, "for_pdf": for_pdf})


def render_pdf(context: dict) -> bytes:
    """The report as PDF bytes (WeasyPrint; the stylesheet is read from the static files)."""
    from weasyprint import CSS, HTML

    stylesheet = finders.find("imsclinic/reports.css")
    html = render_html(context, for_pdf=True)
    return HTML(string=html, base_url=str(Path(stylesheet).parent)).write_pdf(
        stylesheets=[CSS(filename=stylesheet)]
    )
