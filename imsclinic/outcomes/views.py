"""Outcome pages: the chart's Outcomes tab, questionnaire entry, discharge, the clinic's own
instruments, and clinic analytics (with CSV export)."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imsclinic.accounts.models import Role
from imsclinic.core.access import role_required, staff_required
from imsclinic.core.downloads import attachment, csv_writer
from imsclinic.gateway.records import chart_view, portal_view
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes import actions, analytics
from imsclinic.outcomes.course import course_charts, load_course_data
from imsclinic.outcomes.forms import (
    AnalyticsFilterForm,
    ClinicInstrumentForm,
    DischargeForm,
    QuestionnaireForm,
    StaffQuestionnaireForm,
)
from imsclinic.outcomes.instruments import UnknownInstrument, get_instrument, instrument_lookup
from imsclinic.outcomes.models import ClinicInstrument, CompletedVia, QuestionnaireResponse
from imsclinic.outcomes.policy import course_rules
from imsclinic.outcomes.schedule import due_for


def _courses(patient):
    from imsclinic.clinical.models import CourseOfCare

    return list(CourseOfCare.objects.filter(patient=patient).select_related("clinic"))


@chart_view("chart.outcomes", clinical=True)
@require_GET
def outcomes_tab(request, patient):
    from imsclinic.patients.views import chart_context

    courses = _courses(patient)
    wanted = request.GET.get("course")
    course = next((c for c in courses if str(c.uuid) == wanted), None) if wanted else None
    course = course or next((c for c in courses if c.status == "active"), None)
    course = course or (courses[0] if courses else None)
    context = chart_context(request, patient, "outcomes", courses=courses, course=course)
    if course is not None:
        data = load_course_data(course)
        context.update(
            data=data,
            due=due_for(course),
            discharge_form=DischargeForm(),
            condition_name=_condition_names().get(course.condition_id, course.condition_id),
            **course_charts(data),
        )
    context["other_responses"] = QuestionnaireResponse.objects.filter(
        patient=patient, course__isnull=True
    )[:20]
    context["instruments"] = sorted(
        instrument_lookup(patient.clinic).values(), key=lambda i: i.abbreviation
    )
    return render(request, "outcomes/tab.html", context)


@chart_view("chart.outcomes.record", clinical=True)
@require_http_methods(["GET", "POST"])
def record_questionnaire(request, patient, instrument_id):
    from imsclinic.patients.views import chart_context

    try:
        instrument = get_instrument(patient.clinic, instrument_id)
    except UnknownInstrument:
        raise Http404("No such questionnaire at this clinic.") from None
    courses = [c for c in _courses(patient) if c.status == "active"] or _courses(patient)[:1]
    form = StaffQuestionnaireForm(
        request.POST or None,
        instrument=instrument,
        courses=courses,
        initial_timepoint=request.GET.get("timepoint") or "interim",
    )
    if request.method == "POST" and form.is_valid():
        try:
            response = actions.record_response(
                patient=patient,
                instrument_id=instrument.id,
                answers=form.answers(),
                via=CompletedVia.CLINIC,
                timepoint=form.cleaned_data["timepoint"],
                by=request.user,
                course=form.course(),
            )
        except actions.OutcomeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Recorded {instrument.abbreviation}: {response.total:g}.")
            url = redirect("outcomes:tab", patient_uuid=patient.uuid).url
            if response.course_id:
                url += f"?course={response.course.uuid}"
            return redirect(url)
    if request.method == "POST":
        messages.error(request, "Please correct the highlighted answers. Nothing was saved.")
    context = chart_context(request, patient, "outcomes", form=form, instrument=instrument)
    return render(request, "outcomes/record.html", context)


@chart_view("chart.outcomes.discharge", clinical=True)
@require_POST
def discharge(request, patient, course_uuid):
    from imsclinic.clinical.models import CourseOfCare

    course = get_object_or_404(CourseOfCare, patient=patient, uuid=course_uuid)
    form = DischargeForm(request.POST)
    if form.is_valid():
        try:
            actions.discharge_course(
                course=course, reason=form.cleaned_data["reason"], by=request.user
            )
        except actions.OutcomeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Course discharged.")
    else:
        messages.error(request, "Give a reason for the discharge. Nothing was saved.")
    return redirect(
        redirect("outcomes:tab", patient_uuid=patient.uuid).url + f"?course={course.uuid}"
    )


@role_required(Role.CLINIC_ADMIN)
@require_http_methods(["GET", "POST"])
def instruments(request):
    rules = load_knowledge().clinic_scoring
    form = ClinicInstrumentForm(request.POST or None, request.FILES or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = actions.parse_json_document(
                form.cleaned_data["questionnaire"], what="questionnaire file"
            )
            row = actions.import_clinic_instrument(
                clinic=request.clinic,
                questionnaire=questionnaire,
                scoring=form.scoring(),
                by=request.user,
            )
        except actions.OutcomeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Added {row.name}. It can now be given to patients.")
            return redirect("outcomes:instruments")
    if request.method == "POST":
        messages.error(request, "The questionnaire was not added. See the message below.")
    context = {
        "form": form,
        "clinic_instruments": ClinicInstrument.objects.filter(clinic=request.clinic),
        "builtin": sorted(load_knowledge().instruments.values(), key=lambda i: i.abbreviation),
    }
    return render(request, "outcomes/instruments.html", context)


def _analytics_filters(request):
    """(form, Filters or None) from the query string."""
    kb = load_knowledge()
    lookup = instrument_lookup(request.clinic)
    measured = [i for i in lookup.values() if i.mcid is not None]
    rules = course_rules(request.clinic)
    default = next(
        (i for i in rules.instruments if i in lookup and lookup[i].mcid is not None), None
    )
    form = AnalyticsFilterForm(
        request.GET or None,
        conditions=[(c.id, c.name) for c in kb.conditions.values()],
        instruments=[(i.id, f"{i.abbreviation} (MCID {i.mcid:g})") for i in measured],
        initial={"instrument": default},
    )
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    instrument = lookup[data.get("instrument") or default or measured[0].id]
    return form, analytics.Filters(
        clinic=request.clinic,
        instrument=instrument,
        start=data.get("start"),
        end=data.get("end"),
        condition=data.get("condition") or "",
        review_session=rules.no_change_session,
    )


def _condition_names():
    return {c.id: c.name for c in load_knowledge().conditions.values()}


@role_required(Role.CLINIC_ADMIN)
@require_GET
def analytics_page(request):
    form, filters = _analytics_filters(request)
    context = {"form": form, "filters": filters, "conditions": _condition_names()}
    if filters is None:  # the form shows what is wrong with the filters
        return render(request, "outcomes/analytics.html", context, status=400)
    if filters is not None:
        report = analytics.summary(filters)
        names = _condition_names()
        for row in report["mcid_by_condition"]:
            row["label"] = names.get(row["key"], row["key"] or "unspecified")
        context["report"] = report
    return render(request, "outcomes/analytics.html", context)


@role_required(Role.CLINIC_ADMIN)
@require_GET
def analytics_csv(request):
    form, filters = _analytics_filters(request)
    if filters is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(f"Invalid filters: {errors}", status=400, content_type="text/plain")
    report = analytics.summary(filters)
    rows = analytics_rows(report, _condition_names())
    actions.record_analytics_export(
        clinic=request.clinic,
        by=request.user,
        filters={
            "start": filters.start,
            "end": filters.end,
            "condition": filters.condition,
            "instrument": filters.instrument.id,
        },
        rows=len(rows),
    )
    response = attachment(
        HttpResponse(content_type="text/csv; charset=utf-8"), "clinic-analytics.csv"
    )
    writer = csv_writer(response)
    writer.writerow(["section", "group", "measure", "value"])
    writer.writerows(rows)
    return response


@staff_required
@require_GET
def network_dashboard(request):
    """Every clinic the user runs (clinic admin), month by month, from the clinic-month rollups:
    one small query whatever the number of sessions in the network."""
    from imsclinic.outcomes.rollups import network_months, next_month

    clinics = {
        pk: clinic
        for pk, clinic in request.user.staff_clinics().items()
        if Role.CLINIC_ADMIN in request.user.roles_at(pk)
    }
    if not clinics:
        raise PermissionDenied("The network overview is for clinic admins.")
    this_month = request.clinic.today().replace(day=1)
    months = [this_month]
    for _ in range(11):
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    rows = network_months(clinics, since=months[0])
    cells = {(r["clinic_id"], r["month"]): r for r in rows}
    table = []
    for clinic in sorted(clinics.values(), key=lambda c: c.name):
        per_month = [cells.get((clinic.pk, m)) for m in months]
        sessions = sum(r["sessions"] for r in per_month if r)
        events = sum(r["adverse_events"] for r in per_month if r)
        table.append(
            {
                "clinic": clinic,
                "months": [r["sessions"] if r else 0 for r in per_month],
                "sessions": sessions,
                "events": events,
                "per_1000": round(events * 1000 / sessions, 2) if sessions else None,
            }
        )
    context = {"months": months, "table": table, "until": next_month(this_month)}
    return render(request, "outcomes/network.html", context)


def analytics_rows(report: dict, condition_names: dict) -> list[list]:
    """The analytics report flattened to (section, group, measure, value) rows."""
    rows = [
        ["totals", "all", "sessions", report["totals"]["sessions"]],
        ["totals", "all", "patients", report["totals"]["patients"]],
    ]
    for r in report["over_time"]:
        rows.append(["over_time", r["month"].isoformat()[:7], "sessions", r["sessions"]])
        rows.append(["over_time", r["month"].isoformat()[:7], "patients", r["patients"]])
    for r in report["mcid_by_condition"]:
        group = condition_names.get(r["key"], r["key"] or "unspecified")
        for measure in ("courses", "reached", "share", "mean_sessions", "median_sessions"):
            rows.append(["mcid_by_condition", group, measure, _cell(r[measure])])
    nr = report["non_responders"]
    for measure in ("eligible", "non_responders", "share"):
        rows.append(["non_responders", f"session {nr['session']}", measure, _cell(nr[measure])])
    ae = report["adverse_events"]
    for r in ae["by_kind"]:
        rows.append(["adverse_events_by_kind", r["kind"], "events", r["events"]])
        rows.append(["adverse_events_by_kind", r["kind"], "per_1000", _cell(r["per_1000"])])
    for r in ae["by_severity"]:
        rows.append(["adverse_events_by_severity", r["severity"], "events", r["events"]])
        rows.append(["adverse_events_by_severity", r["severity"], "per_1000", _cell(r["per_1000"])])
    for r in report["by_practitioner"]:
        for measure in ("sessions", "patients", "events", "events_per_1000", "courses", "reached"):
            rows.append(["by_practitioner", r["name"], measure, _cell(r[measure])])
    return rows


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


@portal_view("portal.questionnaire")
@require_http_methods(["GET", "POST"])
def portal_questionnaire(request, patient, instrument_id):
    """A patient completes a questionnaire that is due for their active course."""
    from imsclinic.outcomes.portal import due_for_patient

    due = {d.instrument_id: d for d in due_for_patient(patient)[1]}
    if instrument_id not in due:
        raise Http404("This questionnaire is not due.")
    instrument = get_instrument(patient.clinic, instrument_id)
    form = QuestionnaireForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        course, _ = due_for_patient(patient)
        try:
            actions.record_response(
                patient=patient,
                instrument_id=instrument.id,
                answers=form.answers(),
                via=CompletedVia.PORTAL,
                timepoint=due[instrument_id].timepoint,
                course=course,
            )
        except actions.OutcomeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Thank you. Your {instrument.abbreviation} answers were saved."
            )
            return redirect("portal:home")
    if request.method == "POST":
        messages.error(request, "Please check your answers. Nothing was saved.")
    return render(
        request,
        "outcomes/portal_questionnaire.html",
        {"form": form, "instrument": instrument, "patient": patient},
    )
