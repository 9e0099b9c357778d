"""Public self-screening and online booking (no login), and the staff request queue.

Public URLs are per clinic: /screening/<clinic slug>/ (a clinic links this from its website).
The answers travel between the pages of one visit in the session, never in the URL.
"""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from imsclinic.accounts.models import Clinic
from imsclinic.core.access import staff_required
from imsclinic.core.ratelimits import rate_limited
from imsclinic.gateway.records import load
from imsclinic.knowledge import InvalidAnswersError
from imsclinic.patients.forms import DEMOGRAPHIC_FIELDS
from imsclinic.patients.models import Patient
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Kind
from imsclinic.scheduling.slots import online_slots
from imsclinic.screening import actions
from imsclinic.screening.forms import (
    BookingContactForm,
    ContactForm,
    IntakePatientForm,
    ScreeningForm,
    StatusForm,
)
from imsclinic.screening.models import EvaluationRequest, RequestStatus
from imsclinic.screening.services import area_labels, screen_for_clinic

SESSION_KEY = "screening:{slug}"
BOOKED_KEY = "screening-booked:{slug}"


def _clinic(slug) -> Clinic:
    """The clinic of a public page; its pages show times in its own zone (the middleware resets
    the zone after the request)."""
    clinic = get_object_or_404(Clinic, slug=slug)
    timezone.activate(clinic.tz)
    return clinic


def _stored(request, clinic):
    return request.session.get(SESSION_KEY.format(slug=clinic.slug))


def _result(request, clinic):
    screening = _stored(request, clinic)
    if not screening:
        return None, None
    try:
        return screening, screen_for_clinic(screening["answers"], clinic)
    except InvalidAnswersError:
        return None, None


@require_GET
def choose_clinic(request):
    clinics = Clinic.objects.order_by("name")
    if clinics.count() == 1:
        return redirect("screening:form", clinic_slug=clinics.get().slug)
    return render(request, "screening/choose_clinic.html", {"clinics": clinics})


@require_http_methods(["GET", "POST"])
@rate_limited("public-screening")
def screening_form(request, clinic_slug):
    clinic = _clinic(clinic_slug)
    form = ScreeningForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            request.session[SESSION_KEY.format(slug=clinic.slug)] = form.screening()
            return redirect("screening:result", clinic_slug=clinic.slug)
        messages.error(request, "Some questions still need an answer; they are marked below.")
    return render(request, "screening/form.html", {"clinic": clinic, "form": form})


@require_GET
def screening_result(request, clinic_slug):
    clinic = _clinic(clinic_slug)
    screening, result = _result(request, clinic)
    if result is None:
        return redirect("screening:form", clinic_slug=clinic.slug)
    context = {
        "clinic": clinic,
        "result": result,
        "reasons": [r for r in result.reasons if r.outcome == result.outcome] or result.reasons,
        "other_reasons": [r for r in result.reasons if r.outcome != result.outcome],
        "areas": area_labels(screening["pain_regions"]),
    }
    return render(request, "screening/result.html", context)


@require_http_methods(["GET", "POST"])
@rate_limited("public-contact")
def contact(request, clinic_slug):
    clinic = _clinic(clinic_slug)
    screening, result = _result(request, clinic)
    if result is None:
        return redirect("screening:form", clinic_slug=clinic.slug)
    form = ContactForm(
        request.POST or None,
        clinic=clinic,
        initial={"date_of_birth": screening.get("date_of_birth")},
    )
    if request.method == "POST" and form.is_valid():
        actions.create_request(clinic=clinic, contact=form.contact(), screening=screening)
        request.session.pop(SESSION_KEY.format(slug=clinic.slug), None)
        return render(request, "screening/thanks.html", {"clinic": clinic})
    return render(
        request, "screening/contact.html", {"clinic": clinic, "form": form, "result": result}
    )


def _slot_choices(slots):
    return [(f"{s.practitioner.uuid}|{s.starts_at.isoformat()}", s) for s in slots]


@require_http_methods(["GET", "POST"])
@rate_limited("public-booking")
def book(request, clinic_slug):
    clinic = _clinic(clinic_slug)
    screening, result = _result(request, clinic)
    if result is None:
        return redirect("screening:form", clinic_slug=clinic.slug)
    if result.outcome == "not_suitable":
        return redirect("screening:result", clinic_slug=clinic.slug)
    # Every free time of each day (the picker once stopped at six, so afternoons never showed).
    slots = online_slots(clinic, now=timezone.now(), kind=Kind.INITIAL_ASSESSMENT, per_day=None)
    by_value = {value: slot for value, slot in _slot_choices(slots)}
    form = BookingContactForm(
        request.POST or None,
        clinic=clinic,
        slot_choices=[(v, str(s)) for v, s in by_value.items()],
        initial={"date_of_birth": screening.get("date_of_birth")},
    )
    if request.method == "POST" and form.is_valid():
        slot = by_value[form.cleaned_data["slot"]]
        try:
            appointment = actions.book_assessment_online(
                clinic=clinic,
                contact=form.contact(),
                screening=screening,
                practitioner=slot.practitioner,
                starts_at=slot.starts_at,
                mode=form.cleaned_data["mode"],
            )
        except (BookingError, actions.ScreeningError) as exc:
            form.add_error(
                "slot" if getattr(exc, "field", None) == "starts_at" else None, exc.message
            )
        else:
            request.session.pop(SESSION_KEY.format(slug=clinic.slug), None)
            request.session[BOOKED_KEY.format(slug=clinic.slug)] = str(appointment.uuid)
            return redirect("screening:booked", clinic_slug=clinic.slug)
    if request.method == "POST" and not form.is_valid():
        messages.error(request, "Please check the highlighted fields. Nothing was booked yet.")
    days = {}
    for value, slot in by_value.items():
        days.setdefault(slot.starts_at.astimezone(clinic.tz).date(), []).append((value, slot))
    chosen = form["slot"].value()
    days = sorted(days.items())
    open_day = (
        by_value[chosen].starts_at.astimezone(clinic.tz).date() if chosen in by_value else None
    )
    context = {
        "clinic": clinic,
        "form": form,
        "result": result,
        "days": days,
        "open_day": open_day or (days[0][0] if days else None),
        "chosen": chosen,
    }
    return render(request, "screening/book.html", context)


@require_GET
def booked(request, clinic_slug):
    from imsclinic.scheduling.instructions import instruction_lines
    from imsclinic.scheduling.models import Appointment

    clinic = _clinic(clinic_slug)
    uuid = request.session.get(BOOKED_KEY.format(slug=clinic.slug))
    appointment = (
        Appointment.objects.filter(uuid=uuid, clinic=clinic).select_related("practitioner").first()
        if uuid
        else None
    )
    if appointment is None:
        return redirect("screening:form", clinic_slug=clinic.slug)
    context = {
        "clinic": clinic,
        "appointment": appointment,
        "local_start": appointment.starts_at.astimezone(clinic.tz),
        "before": instruction_lines(clinic, "before_visit"),
    }
    return render(request, "screening/booked.html", context)


# ---- staff queue ----


@staff_required
@require_GET
def request_list(request):
    status = request.GET.get("status", "new")
    requests = EvaluationRequest.objects.for_clinic(request.clinic)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    else:
        status = "all"
    counts = dict.fromkeys(RequestStatus.values, 0)
    for row in EvaluationRequest.objects.for_clinic(request.clinic).values_list(
        "status", flat=True
    ):
        counts[row] += 1
    page = Paginator(requests.order_by("-created_at", "-id"), 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "counts": [(value, label, counts[value]) for value, label in RequestStatus.choices],
    }
    return render(request, "screening/request_list.html", context)


def _load(request, request_uuid):
    return load(
        request,
        EvaluationRequest,
        request_uuid,
        what="screening.request",
        select=("clinic", "patient"),
    )


def _detail_context(evaluation, *, status_form=None, patient_form=None):
    initial = {
        "given_name": evaluation.given_name,
        "family_name": evaluation.family_name,
        "date_of_birth": evaluation.date_of_birth,
        "email": evaluation.email,
        "phone": evaluation.phone,
    }
    return {
        "evaluation": evaluation,
        "areas": area_labels(evaluation.pain_regions),
        "status_form": status_form or StatusForm(initial={"status": evaluation.status}),
        "patient_form": patient_form
        or IntakePatientForm(initial=initial, clinic=evaluation.clinic),
        "answered_yes": _answered_yes(evaluation),
    }


def _answered_yes(evaluation):
    from imsclinic.knowledge import screening_questions

    questions = {q["field"]: q for q in screening_questions()}
    rows = []
    for name, value in evaluation.answers.items():
        q = questions.get(name)
        if q is None:
            continue
        if q["type"] == "boolean" and value is not q["default"]:
            rows.append((q["question"], "Yes" if value else "No"))
        elif q["type"] == "choices":
            if value:
                rows.append((q["question"], ", ".join(q["choices"].get(v, v) for v in value)))
        elif q["type"] != "boolean" and value is not None:
            rows.append((q["question"], f"{value:g}"))
    return rows


@staff_required
@require_GET
def request_detail(request, request_uuid):
    evaluation = _load(request, request_uuid)
    return render(request, "screening/request_detail.html", _detail_context(evaluation))


@staff_required
def request_status(request, request_uuid):
    evaluation = _load(request, request_uuid)
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = StatusForm(request.POST)
    if form.is_valid():
        actions.set_request_status(
            evaluation=evaluation,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
        messages.success(request, f"Marked {form.cleaned_data['status']}.")
        return redirect("screening:request", request_uuid=evaluation.uuid)
    messages.error(request, "Choose a status. Nothing was changed.")
    return render(
        request,
        "screening/request_detail.html",
        _detail_context(evaluation, status_form=form),
        status=200,
    )


@staff_required
def request_to_patient(request, request_uuid):
    evaluation = _load(request, request_uuid)
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = IntakePatientForm(request.POST, clinic=evaluation.clinic)
    duplicates = []
    if form.is_valid():
        try:
            patient = actions.create_patient_from_request(
                evaluation=evaluation,
                by=request.user,
                fields={name: form.cleaned_data[name] for name in DEMOGRAPHIC_FIELDS},
                register_anyway=request.POST.get("register_anyway") == "yes",
            )
        except actions.PossibleDuplicates as exc:
            duplicates = exc.candidates
            messages.warning(request, exc.message)
        except actions.ScreeningError as exc:
            messages.error(request, exc.message)
            return redirect("screening:request", request_uuid=evaluation.uuid)
        else:
            if not patient.intake_attached:
                messages.success(
                    request, f"Registered {patient.full_name} (chart {patient.chart_number})."
                )
            else:
                messages.success(
                    request,
                    f"{patient.full_name} already had chart {patient.chart_number}: the request "
                    "is attached to it.",
                )
            return redirect("patients:chart", patient_uuid=patient.uuid)
    else:
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
    context = _detail_context(evaluation, patient_form=form)
    context["duplicates"] = duplicates
    return render(request, "screening/request_detail.html", context, status=400)


@staff_required
def request_attach(request, request_uuid):
    """POST `patient=<uuid>`: link the request to an existing chart of the clinic."""
    evaluation = _load(request, request_uuid)
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    try:
        chosen = uuid.UUID(request.POST.get("patient", ""))
    except ValueError:
        chosen = None
    patient = (
        Patient.objects.filter(clinic=evaluation.clinic, uuid=chosen, is_active=True).first()
        if chosen
        else None
    )
    if patient is None:
        messages.error(request, "Choose one of the charts listed.")
        return redirect("screening:request", request_uuid=evaluation.uuid)
    try:
        actions.attach_request_to_patient(evaluation=evaluation, patient=patient, by=request.user)
    except actions.ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:request", request_uuid=evaluation.uuid)
    messages.success(
        request, f"The request is attached to {patient.full_name} (chart {patient.chart_number})."
    )
    return redirect("patients:chart", patient_uuid=patient.uuid)
