"""Printable and downloadable (PDF) progress reports and discharge summaries."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from imsclinic.core.downloads import attachment
from imsclinic.gateway.records import chart_view
from imsclinic.reports import actions
from imsclinic.reports.pdf import KINDS


def _course(patient, course_uuid, kind):
    from imsclinic.clinical.models import CourseOfCare

    if kind not in KINDS:
        raise Http404("No such report.")
    return get_object_or_404(
        CourseOfCare.objects.select_related("assessment", "clinic"),
        patient=patient,
        uuid=course_uuid,
    )


@chart_view("report.html", clinical=True)
@require_GET
def report(request, patient, course_uuid, kind):
    course = _course(patient, course_uuid, kind)
    html = actions.generate_report(
        patient=patient, course=course, kind=kind, fmt="html", by=request.user
    )
    return HttpResponse(html)


@chart_view("report.pdf", clinical=True)
@require_GET
def report_pdf(request, patient, course_uuid, kind):
    course = _course(patient, course_uuid, kind)
    data = actions.generate_report(
        patient=patient, course=course, kind=kind, fmt="pdf", by=request.user
    )
    name = f"{kind}-{patient.chart_number}-{course.started_on:%Y%m%d}.pdf"
    return attachment(HttpResponse(data, content_type="application/pdf"), name)
