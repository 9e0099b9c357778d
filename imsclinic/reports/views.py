"""Printable and downloadable (PDF) progress reports and discharge summaries."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from imsclinic.accounts.models import Role
from imsclinic.core.access import role_required
from imsclinic.core.downloads import attachment
from imsclinic.gateway.records import chart_view
from imsclinic.reports import actions
from imsclinic.reports.forms import ReportTextForm
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


@chart_view("report.edit", clinical=True)
@require_http_methods(["GET", "POST"])
def edit_report(request, patient, course_uuid, kind):
    """Write the report before issuing: recipient, optional cover letter, narrative and plan
    (pre-filled from the record). "Save draft" keeps it; "Issue" saves and issues it, then
    shows the report. The PDF is printed afterwards, outside any transaction."""
    course = _course(patient, course_uuid, kind)
    draft = actions.draft_for(course=course, kind=kind)
    if draft is not None:
        initial = {
            "recipient_name": draft.recipient_name,
            "recipient_address": draft.recipient_address,
            "cover_letter": draft.cover_letter,
            "narrative": draft.narrative,
            "plan": draft.plan,
        }
    else:
        context = actions.prefilled_text(patient=patient, course=course, kind=kind)
        initial = {k: context[k] for k in ("recipient_name", "narrative", "plan")}
    form = ReportTextForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.save_report_draft(
                patient=patient, course=course, kind=kind, by=request.user, **form.cleaned_data
            )
            if request.POST.get("action") == "issue":
                actions.issue_report(report=report, by=request.user)
                messages.success(request, f"{KINDS[kind]} issued.")
                return redirect("reports:report", patient.uuid, course.uuid, kind)
        except actions.ReportError as exc:
            error = exc
        else:
            messages.success(request, "Draft saved.")
            return redirect("reports:edit", patient.uuid, course.uuid, kind)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "reports/edit.html",
        {
            "form": form,
            "error": error,
            "patient": patient,
            "course": course,
            "kind": kind,
            "title": KINDS[kind],
            "draft": draft,
            "signer": actions.signer_details(request.user, course.clinic),
        },
        status=status,
    )


@role_required(Role.CLINIC_ADMIN)
@require_GET
def analytics_pdf(request):
    """The clinic analytics as PDF: the same charts and tables as the page (outcomes/figures)."""
    from imsclinic.outcomes.views import analytics_figures, analytics_filters

    form, filters = analytics_filters(request)
    if filters is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(f"Invalid filters: {errors}", status=400, content_type="text/plain")
    report, figures = analytics_figures(filters)
    data = actions.generate_analytics_pdf(
        clinic=request.clinic, filters=filters, report=report, figures=figures, by=request.user
    )
    name = f"clinic-analytics-{request.clinic.today():%Y%m%d}.pdf"
    return attachment(HttpResponse(data, content_type="application/pdf"), name)
