"""Patient list, registration, demographics and the chart summary."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from imsclinic.accounts.models import Role
from imsclinic.audit.models import ChartAccess
from imsclinic.core.access import staff_required
from imsclinic.gateway.records import chart_view
from imsclinic.patients import actions
from imsclinic.patients.chart import visible_tabs
from imsclinic.patients.duplicates import find_duplicates
from imsclinic.patients.forms import DEMOGRAPHIC_FIELDS, PatientForm, PatientSearchForm
from imsclinic.patients.merge import MergeError, merge_patients
from imsclinic.patients.models import Patient

PAGE_SIZE = 25


@staff_required
def patient_list(request):
    form = PatientSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    patients = Patient.objects.filter(clinic=request.clinic).search(query)
    page = Paginator(patients.order_by("family_name", "given_name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page": page, "query": query}
    template = (
        "patients/_results.html" if request.headers.get("HX-Request") else "patients/list.html"
    )
    return render(request, template, context)


@staff_required
@require_http_methods(["GET", "POST"])
def patient_create(request):
    form = PatientForm(request.POST or None, clinic=request.clinic)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = find_duplicates(
            clinic=request.clinic,
            **{name: data[name] for name in ("given_name", "family_name", "date_of_birth")},
            email=data.get("email", ""),
            phone=data.get("phone", ""),
        )
        # "Register anyway" resends the form with this box ticked, after the warning was shown.
        if not duplicates or request.POST.get("register_anyway") == "yes":
            patient = actions.create_patient(
                clinic=request.clinic,
                by=request.user,
                fields=data,
                despite_candidates=[c.patient.chart_number for c in duplicates],
            )
            messages.success(
                request, f"Registered {patient.full_name} (chart {patient.chart_number})."
            )
            return redirect("patients:chart", patient_uuid=patient.uuid)
        messages.warning(
            request,
            "This person may already have a chart. Open it, or register a new chart anyway.",
        )
    elif request.method == "POST":
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
    return render(
        request,
        "patients/form.html",
        {"form": form, "creating": True, "duplicates": duplicates},
    )


@chart_view("chart.edit")
@require_http_methods(["GET", "POST"])
def patient_edit(request, patient):
    form = PatientForm(
        request.POST or None, instance=Patient.objects.get(pk=patient.pk), clinic=patient.clinic
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in DEMOGRAPHIC_FIELDS}
        changed = actions.update_patient(patient=patient, by=request.user, fields=fields)
        messages.success(request, "Saved." if changed else "No changes to save.")
        return redirect("patients:chart", patient_uuid=patient.uuid)
    if request.method == "POST":
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
    return render(
        request, "patients/form.html", {"form": form, "patient": patient, "creating": False}
    )


def chart_context(request, patient, active_tab: str, **extra) -> dict:
    """Context shared by every chart tab: the patient, the tabs this user may see."""
    today = patient.clinic.today()
    return {
        "patient": patient,
        "age": patient.age_on(today),
        "tabs": visible_tabs(request.user, patient.clinic_id),
        "active_tab": active_tab,
        "today": today,
        **extra,
    }


@chart_view("chart.summary")
def patient_chart(request, patient):
    from imsclinic.patients.summary import summary_sections

    context = chart_context(
        request,
        patient,
        "summary",
        sections=summary_sections(request, patient),
        # Only a survivor of a merge lists merged chart numbers (patients/merge.py); every other
        # chart skips the query (SQLite's planner scans the table for it, the column being
        # almost all NULL).
        merged_charts=(
            list(patient.merged_charts.order_by("chart_number"))
            if patient.merged_chart_numbers
            else []
        ),
    )
    return render(request, "patients/chart_summary.html", context)


_ROLE_LABELS = {**dict(Role.choices), "patient": "Patient"}


def chart_part_label(what: str) -> str:
    """'chart.access_log' -> 'Chart: access log': the logged part of the chart, in words."""
    area, _, rest = what.partition(".")
    words = rest.replace(".", " ").replace("_", " ").strip()
    return f"{area.capitalize()}: {words}" if words else area.capitalize()


def access_rows(patient):
    """Who opened this chart, newest first: read a page at a time down the
    `chartaccess_patient_idx` index, not sorted from all of the patient's rows."""
    return ChartAccess.objects.filter(patient_uuid=patient.uuid).order_by("-id")


@chart_view("chart.access_log", roles=(Role.CLINIC_ADMIN,))
def access_log(request, patient):
    page = Paginator(access_rows(patient), 50).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.roles_label = ", ".join(_ROLE_LABELS.get(r, r) for r in row.roles.split(",") if r)
        row.what_label = chart_part_label(row.what)
    return render(
        request, "patients/access_log.html", chart_context(request, patient, "access", page=page)
    )


@chart_view("chart.duplicates")
@require_http_methods(["GET"])
def duplicates(request, patient):
    """Charts that may be this same person, with a merge for the clinic admin."""
    candidates = find_duplicates(
        clinic=patient.clinic,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        email=patient.email,
        phone=patient.phone,
        exclude=patient,
    )
    context = chart_context(
        request,
        patient,
        "summary",
        candidates=candidates,
        can_merge=request.user.has_role(patient.clinic, Role.CLINIC_ADMIN),
    )
    return render(request, "patients/duplicates.html", context)


@chart_view("chart.merge", roles=(Role.CLINIC_ADMIN,))
@require_http_methods(["POST"])
def merge(request, patient):
    """Merge the chart named in the form into this one (this chart survives)."""
    duplicate = Patient.objects.filter(
        uuid=_uuid_or_none(request.POST.get("duplicate")), clinic=patient.clinic
    ).first()
    if duplicate is None or request.POST.get("confirm") != "yes":
        messages.error(request, "Choose the duplicate chart and confirm the merge. Nothing moved.")
        return redirect("patients:duplicates", patient_uuid=patient.uuid)
    try:
        result = merge_patients(survivor=patient, duplicate=duplicate, by=request.user)
    except MergeError as exc:
        messages.error(request, exc.message)
        return redirect("patients:duplicates", patient_uuid=patient.uuid)
    kept = "; ".join(f"{n} {what}" for what, n in result.kept.items())
    messages.success(
        request,
        f"Merged chart {duplicate.chart_number} into this chart."
        + (f" Kept on chart {duplicate.chart_number} because signed: {kept}." if kept else ""),
    )
    return redirect("patients:chart", patient_uuid=patient.uuid)


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
