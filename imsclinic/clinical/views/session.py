"""Sessions tab, charting a needling session, repeating the last one, signing."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from imsclinic.clinical import actions, bodychart, safety
from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused
from imsclinic.clinical.forms import (
    AddendumForm,
    AdverseEventForm,
    ClearanceForm,
    DecisionForm,
    NeedlingRowForm,
    PrecheckForm,
    SessionForm,
)
from imsclinic.clinical.models import (
    AdverseEvent,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
    consent_problems,
    latest_consent,
)
from imsclinic.clinical.views.common import appointment_from_post, refusals_with_fixes, refuse_to
from imsclinic.gateway.records import chart_view, record_view
from imsclinic.patients.models import Patient
from imsclinic.patients.views import chart_context

ROW_DEFAULTS = ("needle_gauge", "needle_length_mm", "lot_number")
SESSIONS_PER_PAGE = 20


def _scalar(queryset, group: str, aggregate):
    """`aggregate` over `queryset` as a scalar subquery of the outer patient (0 when empty)."""
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(n=aggregate).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def history_totals(patient) -> dict:
    """Counts over the patient's whole treatment history, in one query (one row of scalar
    subqueries), whatever page of sessions is shown."""
    sessions = TreatmentSession.objects.filter(patient=OuterRef("pk"))
    rows = NeedlingRow.objects.filter(session__patient=OuterRef("pk"))
    events = AdverseEvent.objects.filter(patient=OuterRef("pk"))
    totals = {
        "sessions": _scalar(sessions, "patient", Count("id")),
        "signed": _scalar(sessions, "patient", Count("id", filter=Q(signed_at__isnull=False))),
        "rows": _scalar(rows, "session__patient", Count("id")),
        "insertions": _scalar(rows, "session__patient", Sum("insertions")),
        "adverse_events": _scalar(events, "patient", Count("id")),
        "serious_adverse_events": _scalar(
            events, "patient", Count("id", filter=Q(severity=AdverseEvent.Severity.SERIOUS))
        ),
    }
    # Prefixed: some names are also relations of Patient.
    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(**{f"total_{name}": value for name, value in totals.items()})
        .values(*(f"total_{name}" for name in totals))
        .get()
    )
    return {name: row[f"total_{name}"] for name in totals}


class _CountedPaginator(Paginator):
    """A paginator told the total up front (from `history_totals`), so it runs no COUNT."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


@chart_view("chart.sessions", clinical=True)
def sessions_tab(request, patient):
    """The patient's sessions, newest first, a page at a time; totals over the whole history."""
    totals = history_totals(patient)
    sessions = (
        TreatmentSession.objects.filter(patient=patient)
        .select_related("practitioner", "signed_by")
        .prefetch_related("needling_rows", "adverse_events")
        .order_by("-started_at", "-id")
    )
    paginator = _CountedPaginator(sessions, SESSIONS_PER_PAGE, count=totals["sessions"])
    page = paginator.get_page(request.GET.get("page"))
    context = chart_context(
        request,
        patient,
        "sessions",
        page=page,
        sessions=page.object_list,
        page_links=paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        totals=totals,
        draft=actions.draft_for(patient),
        course=CourseOfCare.objects.filter(patient=patient).active().first(),
        consent=latest_consent(patient),
        consent_problems=consent_problems(patient),
    )
    return render(request, "clinical/sessions_tab.html", context)


@chart_view("chart.sessions.start", clinical=True)
@require_POST
def session_start(request, patient):
    session = actions.start_session(
        patient=patient, by=request.user, appointment=appointment_from_post(request, patient)
    )
    return redirect("clinical:session", session_uuid=session.uuid)


def _row_initial(session) -> dict:
    """Prefill the next row with the needle used for the previous row of this session (same box
    of needles, same lot). Nothing comes from an earlier session, and the response and
    tolerance are left for today's observation."""
    last = session.needling_rows.order_by("-order").first()
    initial = {"side": "R", "insertions": 3}
    if last is not None:
        initial.update({key: getattr(last, key) for key in ROW_DEFAULTS})
        initial["side"] = last.side
    return initial


def _session_precautions(session):
    if session.is_signed and session.active_precautions is not None:
        return safety.stored_as_precautions(session.active_precautions)
    return safety.patient_precautions(session.patient, session=session)


def session_context(request, session, **extra) -> dict:
    rows = list(session.needling_rows.all())
    precautions = _session_precautions(session)
    to_resolve = [p for p in precautions if p.kind == "relative"]
    for row in rows:
        row.facts = safety.muscle_facts(row.muscle_id)
        row.over_depth = safety.is_over_depth(row.muscle_id, row.depth_mm)
    context = chart_context(
        request,
        session.patient,
        "sessions",
        session=session,
        rows=rows,
        alerts=safety.session_alerts(session, rows),
        previous=actions.previous_signed_session(session),
        addenda=session.addenda.select_related("author"),
        adverse_events=session.adverse_events.all(),
        consent=latest_consent(session.patient),
        refusals=[]
        if session.is_signed
        else refusals_with_fixes(
            actions.session_refusals(session, by=request.user),
            patient=session.patient,
            page_url=reverse("clinical:session", args=[session.uuid]),
            by=request.user,
        ),
        muscle_choices=safety.muscle_choices(),
        precaution_status=safety.precaution_status(session, precautions),
        retest_candidates=[] if session.is_signed else actions.retest_candidates(session),
    )
    context.setdefault(
        "clearance_form",
        ClearanceForm(precautions=to_resolve, initial={"cleared_on": session.clinic.today()}),
    )
    context.setdefault("decision_form", DecisionForm(precautions=to_resolve, rows=rows))
    context.setdefault("form", SessionForm(instance=session))
    precheck = session.precheck or {}
    regions = sorted({r for item in precheck.get("items", []) for r in item.get("regions", [])})
    context.setdefault(
        "precheck_form",
        PrecheckForm(
            initial={
                "items": session.precheck_ids(),
                "regions": regions,
                "notes": precheck.get("notes", ""),
            }
        ),
    )
    context.setdefault("picker_views", bodychart.chart_views([]))
    context.setdefault("row_form", NeedlingRowForm(initial=_row_initial(session)))
    context.setdefault("ae_form", AdverseEventForm())
    context.setdefault("addendum_form", AddendumForm())
    context.update(extra)
    return context


@record_view(TreatmentSession, "chart.session", url_kwarg="session_uuid")
@require_http_methods(["GET", "POST"])
def session_detail(request, session):
    if request.method == "POST":
        form = SessionForm(request.POST, instance=session)
        if form.is_valid():
            try:
                actions.update_session(
                    session=session, by=request.user, fields=form.action_fields()
                )
            except RecordLocked as error:
                return refuse_to(request, error, request.path)
            messages.success(request, "Session saved.")
            return redirect(request.path + "#rows")
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
        session.refresh_from_db()
        return render(
            request, "clinical/session.html", session_context(request, session, form=form)
        )
    return render(request, "clinical/session.html", session_context(request, session))


@record_view(TreatmentSession, "chart.session.precheck", url_kwarg="session_uuid")
@require_POST
def session_precheck(request, session):
    form = PrecheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please correct the pre-session check. Nothing was saved.")
        return render(
            request, "clinical/session.html", session_context(request, session, precheck_form=form)
        )
    try:
        actions.update_session(
            session=session, by=request.user, fields={"precheck": form.precheck()}
        )
    except RecordLocked as error:
        return refuse_to(request, error, _url(session))
    messages.success(request, "Pre-session check recorded.")
    return redirect(_url(session))


def _url(session, anchor=""):
    return reverse("clinical:session", kwargs={"session_uuid": session.uuid}) + anchor


@record_view(TreatmentSession, "chart.session.row", url_kwarg="session_uuid")
@require_POST
def row_add(request, session):
    form = NeedlingRowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The needling row was not added: please correct it.")
        return render(
            request, "clinical/session.html", session_context(request, session, row_form=form)
        )
    try:
        actions.add_needling_row(session=session, by=request.user, values=form.action_values())
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, _url(session))
    return redirect(_url(session, "#add-row"))


@record_view(TreatmentSession, "chart.session.row", url_kwarg="session_uuid")
@require_POST
def row_delete(request, session, row_id):
    row = get_object_or_404(session.needling_rows, pk=row_id)
    try:
        actions.remove_needling_row(row=row, by=request.user)
    except RecordLocked as error:
        return refuse_to(request, error, _url(session))
    return redirect(_url(session, "#rows"))


@record_view(TreatmentSession, "chart.session.repeat", url_kwarg="session_uuid")
@require_POST
def session_repeat(request, session):
    try:
        count = actions.repeat_last_session(session=session, by=request.user)
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, _url(session))
    messages.success(request, f"Copied {count} needling rows from the last session.")
    return redirect(_url(session, "#rows"))


@record_view(TreatmentSession, "chart.session.adverse_event", url_kwarg="session_uuid")
@require_POST
def adverse_event_add(request, session):
    form = AdverseEventForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The adverse event was not recorded: please correct it.")
        return render(
            request, "clinical/session.html", session_context(request, session, ae_form=form)
        )
    actions.add_adverse_event(session=session, by=request.user, fields=form.cleaned_data)
    messages.success(request, "Adverse event recorded.")
    return redirect(_url(session, "#adverse-events"))


@record_view(TreatmentSession, "chart.session.sign", url_kwarg="session_uuid")
@require_POST
def session_sign(request, session):
    try:
        actions.sign_session(session=session, by=request.user)
    except SigningRefused as error:
        messages.error(request, "Not signed. Fix the following, then sign again.")
        return refuse_to(request, error, _url(session, "#sign"))
    messages.success(request, f"Session {session.session_number} signed and locked.")
    return redirect("clinical:sessions", patient_uuid=session.patient.uuid)


@record_view(TreatmentSession, "chart.session.addendum", url_kwarg="session_uuid")
@require_POST
def session_addendum(request, session):
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, "An addendum needs a reason and the correction.")
        return redirect(_url(session, "#addenda"))
    try:
        actions.add_addendum(by=request.user, session=session, **form.cleaned_data)
    except ClinicalError as error:
        return refuse_to(request, error, _url(session))
    messages.success(request, "Addendum added.")
    return redirect(_url(session, "#addenda"))


@record_view(TreatmentSession, "chart.session.clearance", url_kwarg="session_uuid")
@require_POST
def session_clearance(request, session):
    """Record a clearance of one of the patient's precautions from the session page."""
    precautions = [p for p in _session_precautions(session) if p.kind == "relative"]
    form = ClearanceForm(request.POST, precautions=precautions)
    if not form.is_valid():
        messages.error(request, "The clearance was not recorded: please correct it.")
        return render(
            request,
            "clinical/session.html",
            session_context(request, session, clearance_form=form),
        )
    try:
        actions.record_clearance(
            patient=session.patient, by=request.user, session=session, **form.cleaned_data
        )
    except ClinicalError as error:
        return refuse_to(request, error, _url(session, "#precautions"))
    messages.success(request, "Clearance recorded.")
    return redirect(_url(session, "#precautions"))


@record_view(TreatmentSession, "chart.session.decision", url_kwarg="session_uuid")
@require_POST
def session_decision(request, session):
    """Record the practitioner's reasoned decision on a precaution, naming the sites adapted."""
    precautions = [p for p in _session_precautions(session) if p.kind == "relative"]
    form = DecisionForm(
        request.POST, precautions=precautions, rows=list(session.needling_rows.all())
    )
    if not form.is_valid():
        messages.error(request, "The decision was not recorded: please correct it.")
        return render(
            request,
            "clinical/session.html",
            session_context(request, session, decision_form=form),
        )
    try:
        actions.record_decision(
            session=session,
            by=request.user,
            precaution_id=form.cleaned_data["precaution_id"],
            reasoning=form.cleaned_data["reasoning"],
            adapted_sites=form.adapted_sites(),
        )
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, _url(session, "#precautions"))
    messages.success(request, "Decision recorded.")
    return redirect(_url(session, "#precautions"))
