"""Assessment tab and form (body chart, Gunn signs, findings beside the engine's suggestion),
course of care, and consent."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from imsclinic.accounts.models import Role
from imsclinic.clinical import actions, bodychart, engine, safety
from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused
from imsclinic.clinical.actions.precautions import cleared_today
from imsclinic.clinical.consent_rules import ConsentPolicyError, consent_min_age
from imsclinic.clinical.forms import (
    AddendumForm,
    ConsentForm,
    ConsentTextForm,
    CourseForm,
    CourseStatusForm,
    FindingForm,
    HistoryForm,
    WithdrawForm,
)
from imsclinic.clinical.models import (
    Assessment,
    Consent,
    ConsentTextVersion,
    CourseOfCare,
    PatientPainDrawing,
)
from imsclinic.clinical.views.common import appointment_from_post, refusals_with_fixes, refuse_to
from imsclinic.clinical.views.gunn import level_grid
from imsclinic.core.access import role_required
from imsclinic.gateway.records import chart_view, record_view
from imsclinic.knowledge import load_knowledge, screening_questions, validate_answers
from imsclinic.patients.views import chart_context


@chart_view("chart.assessment", clinical=True)
def assessment_tab(request, patient):
    assessments = Assessment.objects.filter(patient=patient).select_related("practitioner")
    return render(
        request,
        "clinical/assessment_tab.html",
        chart_context(request, patient, "assessment", assessments=assessments),
    )


@chart_view("chart.assessment.start", clinical=True)
@require_POST
def assessment_start(request, patient):
    draft = Assessment.objects.filter(patient=patient).unsigned().first()
    if draft is None:
        draft = actions.start_assessment(
            patient=patient, by=request.user, appointment=appointment_from_post(request, patient)
        )
    return redirect("clinical:assessment", assessment_uuid=draft.uuid)


def _screening_rows(answers: dict) -> list[dict]:
    rows = []
    for question in screening_questions():
        field = question["field"]
        rows.append({**question, "value": answers.get(field, question.get("default"))})
    return rows


def _screening_from_post(post) -> tuple[dict, dict]:
    raw = {}
    for question in screening_questions():
        field = question["field"]
        if question["type"] == "boolean":
            raw[field] = post.get(f"sc-{field}") == "on"
        elif question["type"] == "choices":
            raw[field] = post.getlist(f"sc-{field}")
        else:
            value = (post.get(f"sc-{field}") or "").strip()
            raw[field] = float(value) if value.replace(".", "", 1).isdigit() else None
    return validate_answers(raw)


def _signs_from_post(post) -> list[dict]:
    kb = load_knowledge()
    signs = []
    for sign_id in kb.gunn_signs:
        for region in post.getlist(f"sign-{sign_id}"):
            if region in kb.body_regions:
                signs.append({"sign": sign_id, "region": region})
    return signs


# Signs recorded by level on the palpation grid, not per body-chart region.
LEVEL_GRID_SIGNS = frozenset({engine.SPINOUS_SIGN})


def _region_signs(kb) -> list[dict]:
    """Gunn's signs recorded on body-chart regions, each with its mark colour on the chart."""
    located = [
        sign
        for sign in kb.gunn_signs.values()
        if sign.located_by != "muscle" and sign.id not in LEVEL_GRID_SIGNS
    ]
    return [
        {
            "id": sign.id,
            "name": sign.name,
            "how_to_test": sign.how_to_test,
            "colour": index % bodychart.SIGN_COLOURS,
        }
        for index, sign in enumerate(located)
    ]


def _source_date(assessment):
    import datetime

    raw = (assessment.screening_source or {}).get("date")
    return datetime.date.fromisoformat(raw) if raw else None


def patient_drawing_context(assessment) -> dict | None:
    """The patient's own pain drawing to show beside the pain diagram: the latest one, or on a
    signed assessment the latest made before it was signed. `prefilled` when the draft's pain
    diagram is still empty and starts from it."""
    drawings = PatientPainDrawing.objects.filter(patient=assessment.patient).select_related(
        "drawn_by"
    )
    if assessment.signed_at:
        drawings = drawings.filter(created_at__lte=assessment.signed_at)
    drawing = drawings.order_by("-created_at", "-id").first()
    if drawing is None:
        return None
    return {
        "drawing": drawing,
        "by": drawing.drawn_by.display_name,
        "views": bodychart.chart_views(drawing.marks),
        "rows": bodychart.mark_rows(drawing.marks),
        "prefilled": not assessment.is_signed and not assessment.body_chart,
    }


def assessment_context(request, assessment, **extra) -> dict:
    kb = load_knowledge()
    patient_drawing = patient_drawing_context(assessment)
    # An empty draft diagram starts from the patient's own drawing (saved with the assessment).
    chart_marks = (
        patient_drawing["drawing"].marks
        if patient_drawing and patient_drawing["prefilled"]
        else assessment.body_chart
    )
    findings = list(assessment.findings.all())
    for finding in findings:
        finding.facts = safety.muscle_facts(finding.muscle_id)
    suggestion = assessment.suggested_segments or {}
    precautions = safety.screening_precautions(assessment.screening_answers, source="screening")
    initial = {
        "pain_pattern": assessment.pain_pattern,
        "onset": assessment.onset,
        "duration_months": assessment.duration_months,
        "treatments_tried": assessment.treatments_tried,
        "medications": assessment.medications,
        "comorbidities": assessment.comorbidities,
        "working_diagnosis": assessment.working_diagnosis,
        "condition_id": assessment.condition_id,
        "icd10_codes": ", ".join(assessment.icd10_codes or []),
        "accepted_segments": ", ".join(
            assessment.accepted_segments or suggestion.get("suggested", [])
        ),
        "range_of_motion": "\n".join(
            f"{r['movement']}: {r['value']}{', painful' if r.get('painful') else ''}"
            for r in assessment.range_of_motion or []
        ),
        "enlarged_nerves": "\n".join(
            f"{n['nerve']}, {n['side']}" for n in assessment.enlarged_nerves or []
        ),
        "temperature_difference_c": assessment.temperature_difference_c,
        "temperature_site": assessment.temperature_site,
    }
    signs_marked = {(s["sign"], s.get("region")) for s in assessment.gunn_signs or []}
    context = chart_context(
        request,
        assessment.patient,
        "assessment",
        assessment=assessment,
        findings=findings,
        suggestion=suggestion,
        views=bodychart.chart_views(chart_marks),
        chart_marked_count=len(chart_marks or []),
        patient_drawing=patient_drawing,
        pain_types=bodychart.PAIN_TYPES,
        regions=bodychart.regions(),
        region_signs=_region_signs(kb),
        intensities=range(11),
        level_grid=level_grid(assessment),
        screening_source_date=_source_date(assessment),
        signs_marked=[f"{sign}|{region}" for sign, region in signs_marked],
        screening=_screening_rows(assessment.screening_answers or {}),
        precautions=precautions,
        muscle_choices=safety.muscle_choices(),
        condition=kb.conditions.get(assessment.condition_id),
        addenda=assessment.addenda.select_related("author"),
        refusals=[]
        if assessment.is_signed
        else refusals_with_fixes(
            actions.assessment_refusals(assessment, by=request.user),
            patient=assessment.patient,
            page_url=reverse("clinical:assessment", args=[assessment.uuid]),
            by=request.user,
        ),
    )
    context.setdefault("form", HistoryForm(initial=initial))
    context.setdefault("finding_form", FindingForm())
    context.setdefault("addendum_form", AddendumForm())
    context.update(extra)
    return context


@record_view(Assessment, "chart.assessment", url_kwarg="assessment_uuid")
@require_http_methods(["GET", "POST"])
def assessment_detail(request, assessment):
    if request.method == "GET":
        return render(request, "clinical/assessment.html", assessment_context(request, assessment))
    form = HistoryForm(request.POST)
    marks, chart_errors = bodychart.clean_marks(request.POST)
    screening, screening_errors = _screening_from_post(request.POST)
    if not form.is_valid() or chart_errors or screening_errors:
        for error in chart_errors + [f"{k}: {v}" for k, v in screening_errors.items()]:
            messages.error(request, error)
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
        return render(
            request, "clinical/assessment.html", assessment_context(request, assessment, form=form)
        )
    fields = dict(form.cleaned_data)
    fields.update(
        body_chart=marks, screening_answers=screening, gunn_signs=_signs_from_post(request.POST)
    )
    accepting = request.POST.get("accept") == "suggestion"
    if accepting:
        # "Accept": the engine's suggestion as it stands on the page becomes the accepted
        # segments, whatever the text box holds.
        fields["accepted_segments"] = list(
            (assessment.suggested_segments or {}).get("suggested") or []
        )
        if not fields["accepted_segments"]:
            messages.error(request, "There is no suggestion to accept yet. Nothing was saved.")
            return redirect(request.path + "#suggestion")
    kb = load_knowledge()
    if fields["condition_id"] and not fields["icd10_codes"]:
        fields["icd10_codes"] = [c.code for c in kb.conditions[fields["condition_id"]].icd10]
    try:
        actions.update_assessment(assessment=assessment, by=request.user, fields=fields)
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, request.path)
    if accepting:
        messages.success(
            request,
            "Assessment saved with the suggested segments "
            f"{', '.join(fields['accepted_segments'])}. The course plan is proposed on the "
            "Course tab.",
        )
    else:
        messages.success(request, "Assessment saved.")
    return redirect(request.path + "#suggestion")


@record_view(Assessment, "chart.assessment.finding", url_kwarg="assessment_uuid")
@require_POST
def finding_add(request, assessment):
    """Add a muscle finding. With htmx, answers the findings + suggestion panel only."""
    form = FindingForm(request.POST)
    error = None
    if form.is_valid():
        try:
            actions.add_finding(
                assessment=assessment,
                by=request.user,
                muscle_id=form.cleaned_data["muscle"],
                side=form.cleaned_data["side"],
                grade=form.cleaned_data["grade"],
            )
        except (ClinicalError, RecordLocked) as exc:
            error = str(exc)
        assessment.refresh_from_db()
    else:
        error = "; ".join(e for errors in form.errors.values() for e in errors)
    if request.headers.get("HX-Request"):
        context = assessment_context(request, assessment, finding_error=error)
        if error is None:
            context["finding_form"] = FindingForm(initial={"side": form.cleaned_data["side"]})
        else:
            context["finding_form"] = form
        return render(request, "clinical/_findings_panel.html", context)
    if error:
        messages.error(request, error)
    return redirect(reverse("clinical:assessment", args=[assessment.uuid]) + "#findings")


@record_view(Assessment, "chart.assessment.finding", url_kwarg="assessment_uuid")
@require_POST
def finding_delete(request, assessment, finding_id):
    finding = get_object_or_404(assessment.findings, pk=finding_id)
    try:
        actions.remove_finding(finding=finding, by=request.user)
    except RecordLocked as error:
        return refuse_to(request, error, reverse("clinical:assessment", args=[assessment.uuid]))
    return redirect(reverse("clinical:assessment", args=[assessment.uuid]) + "#findings")


@record_view(Assessment, "chart.assessment.sign", url_kwarg="assessment_uuid")
@require_POST
def assessment_sign(request, assessment):
    url = reverse("clinical:assessment", args=[assessment.uuid])
    try:
        actions.sign_assessment(assessment=assessment, by=request.user)
    except SigningRefused as error:
        messages.error(request, "Not signed. Fix the following, then sign again.")
        return refuse_to(request, error, url + "#sign")
    messages.success(request, "Assessment signed and locked.")
    return redirect(url)


@record_view(Assessment, "chart.assessment.addendum", url_kwarg="assessment_uuid")
@require_POST
def assessment_addendum(request, assessment):
    url = reverse("clinical:assessment", args=[assessment.uuid]) + "#addenda"
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, "An addendum needs a reason and the correction.")
        return redirect(url)
    try:
        actions.add_addendum(by=request.user, assessment=assessment, **form.cleaned_data)
    except ClinicalError as error:
        return refuse_to(request, error, url)
    messages.success(request, "Addendum added.")
    return redirect(url)


# ---- course of care ----


def _course_initial(patient) -> dict:
    assessment = Assessment.objects.filter(patient=patient).first()
    if assessment is None:
        return {}
    segments = assessment.accepted_segments or []
    # The plan honours the patient's precautions (and clearances), as signing will.
    precautions = safety.patient_precautions(patient)
    plan = (
        engine.plan_for(
            segments,
            [safety.engine_precaution(p) for p in precautions],
            cleared=cleared_today(patient),
        )
        or {}
    )
    muscles = [
        f"{item['name']}, {item['side']}" for item in plan.get("items", []) if item.get("side")
    ]
    return {"target_segments": ", ".join(segments), "target_muscles": "\n".join(muscles[:10])}


@chart_view("chart.course", clinical=True)
@require_http_methods(["GET", "POST"])
def course_tab(request, patient):
    form = CourseForm(request.POST or None, initial=_course_initial(patient))
    if request.method == "POST" and form.is_valid():
        assessment = Assessment.objects.filter(patient=patient).first()
        fields = dict(form.cleaned_data)
        if assessment:
            fields.update(condition_id=assessment.condition_id, icd10_codes=assessment.icd10_codes)
        try:
            actions.create_course(
                patient=patient, by=request.user, fields=fields, assessment=assessment
            )
        except ClinicalError as error:
            return refuse_to(request, error, request.path)
        messages.success(request, "Course of care started.")
        return redirect(request.path)
    if request.method == "POST":
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
    # Each course's count of signed sessions in the same query (not one COUNT per course).
    courses = CourseOfCare.objects.filter(patient=patient).annotate(
        signed_sessions=Count("sessions", filter=Q(sessions__signed_at__isnull=False))
    )
    for course in courses:
        course.muscle_rows = [
            {"name": safety.muscle_label(m["muscle_id"]), "side": m["side"]}
            for m in course.target_muscles
        ]
        review = course.plan_review or {}
        course.excluded_rows = [
            {"name": safety.muscle_label(m["muscle_id"]), "side": m["side"], "reason": m["reason"]}
            for m in review.get("excluded", [])
        ]
        course.recomputed_rows = [
            {"name": item["name"], "side": item["side"] or ""}
            for item in (review.get("plan") or {}).get("items", [])
        ]
    context = chart_context(
        request,
        patient,
        "course",
        courses=courses,
        form=form,
        status_form=CourseStatusForm(),
        has_active=any(c.status == "active" for c in courses),
    )
    return render(request, "clinical/course_tab.html", context)


@record_view(CourseOfCare, "chart.course.status", url_kwarg="course_uuid")
@require_POST
def course_status(request, course):
    url = reverse("clinical:course", args=[course.patient.uuid])
    form = CourseStatusForm(request.POST)
    if form.is_valid():
        try:
            actions.set_course_status(course=course, by=request.user, **form.cleaned_data)
            messages.success(request, "Course updated.")
        except ClinicalError as error:
            return refuse_to(request, error, url)
    return redirect(url)


# ---- consent ----


def consent_min_age_or_none(clinic) -> int | None:
    """For the page's hint only; the action reports a broken policy as the refusal reason."""
    try:
        return consent_min_age(clinic)
    except ConsentPolicyError:
        return None


@chart_view("chart.consent", clinical=True)
@require_http_methods(["GET", "POST"])
def consent_record(request, patient):
    text = actions.current_text_or_default(patient.clinic)
    form = ConsentForm(request.POST or None, initial={"shown_version": text.version})
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_consent(
                patient=patient,
                by=request.user,
                signature_name=form.cleaned_data["signature_name"],
                covers_thorax=form.cleaned_data["covers_thorax"],
                shown_version=form.cleaned_data["shown_version"],
                signer_relationship=form.cleaned_data["signer_relationship"],
                mature_minor_assessment=form.cleaned_data["mature_minor_assessment"],
            )
        except ClinicalError as error:
            return refuse_to(request, error, request.path)
        messages.success(request, "Consent recorded.")
        return redirect("clinical:sessions", patient_uuid=patient.uuid)
    consents = Consent.objects.filter(patient=patient).select_related(
        "text_version", "explained_by", "withdrawn_by"
    )
    context = chart_context(
        request,
        patient,
        "sessions",
        consent_age=consent_min_age_or_none(patient.clinic),
        patient_age=patient.age_on(patient.clinic.today()),
        text=text,
        form=form,
        consents=consents,
        withdraw_form=WithdrawForm(),
    )
    return render(request, "clinical/consent.html", context)


@record_view(Consent, "chart.consent.withdraw", url_kwarg="consent_uuid")
@require_POST
def consent_withdraw(request, consent):
    url = reverse("clinical:consent", args=[consent.patient.uuid])
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the consent is withdrawn.")
        return redirect(url)
    try:
        actions.withdraw_consent(
            consent=consent, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ClinicalError as error:
        return refuse_to(request, error, url)
    messages.success(request, "Withdrawal recorded. Needling cannot be signed until new consent.")
    return redirect(url)


@role_required(Role.CLINIC_ADMIN)
@require_http_methods(["GET", "POST"])
def consent_text(request):
    clinic = request.clinic
    current = actions.current_text_or_default(clinic)
    form = ConsentTextForm(
        request.POST or None,
        initial={"title": current.title, "body": current.body, "covers_thorax": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = actions.publish_consent_text(
                clinic=clinic, by=request.user, **form.cleaned_data
            )
        except ClinicalError as error:
            return refuse_to(request, error, request.path)
        messages.success(request, f"Published consent text version {version.version}.")
        return redirect(request.path)
    versions = ConsentTextVersion.objects.filter(clinic=clinic).select_related("created_by")
    return render(
        request,
        "clinical/consent_text.html",
        {"form": form, "current": current, "versions": versions},
    )
