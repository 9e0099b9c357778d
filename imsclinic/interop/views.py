"""Interop pages: the patient's own-record downloads and the admin's whole-clinic export."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from imsclinic.accounts.models import Role
from imsclinic.core.access import role_required
from imsclinic.core.downloads import attachment
from imsclinic.core.printing import print_pdf
from imsclinic.gateway.records import portal_view
from imsclinic.interop import actions
from imsclinic.interop.bulk import ndjson_zip
from imsclinic.interop.csv_export import csv_zip
from imsclinic.interop.fhir.collect import everything_bundle
from imsclinic.interop.fhir.common import FHIR_JSON, to_json
from imsclinic.interop.portal import appointments_ics, readable_record


def _download(content, content_type: str, filename: str) -> HttpResponse:
    response = attachment(HttpResponse(content, content_type=content_type), filename)
    response["Cache-Control"] = "no-store"
    return response


def _stem(patient) -> str:
    return f"my-record-{patient.clinic.today():%Y-%m-%d}"


# ---- portal: the patient's own record --------------------------------------------------
@portal_view("portal.record")
@require_GET
def portal_record(request, patient):
    """The whole record as a readable, printable page."""
    actions.record_export(
        clinic=patient.clinic, by=request.user, kind="portal_html", patient=patient
    )
    return render(request, "interop/record.html", readable_record(patient))


@portal_view("portal.record_pdf")
@require_GET
def portal_record_pdf(request, patient):
    from django.contrib.staticfiles import finders

    html = render_to_string("interop/record_print.html", readable_record(patient), request=request)
    pdf = print_pdf(html, stylesheets=[finders.find("imsclinic/interop-print.css")]).pdf
    actions.record_export(
        clinic=patient.clinic, by=request.user, kind="portal_pdf", patient=patient
    )
    return _download(pdf, "application/pdf", f"{_stem(patient)}.pdf")


@portal_view("portal.record_fhir")
@require_GET
def portal_record_fhir(request, patient):
    bundle = everything_bundle(
        patient, base_url=request.build_absolute_uri("/api/v1/fhir"), signed_only=True
    )
    actions.record_export(
        clinic=patient.clinic, by=request.user, kind="portal_fhir", patient=patient
    )
    return _download(to_json(bundle), FHIR_JSON, f"{_stem(patient)}.fhir.json")


@portal_view("portal.appointments_ics")
@require_GET
def portal_appointments_ics(request, patient):
    actions.record_export(
        clinic=patient.clinic, by=request.user, kind="portal_ics", patient=patient
    )
    return _download(
        appointments_ics(patient), "text/calendar; charset=utf-8", "my-appointments.ics"
    )


# ---- staff: whole-clinic export (clinic admins) -----------------------------------------
@role_required(Role.CLINIC_ADMIN)
@require_GET
def exports(request):
    return render(request, "interop/exports.html", {"clinic": request.clinic})


@role_required(Role.CLINIC_ADMIN)
@require_POST
def export_csv(request):
    data = csv_zip(request.clinic, request.user)
    return _download(
        data, "application/zip", f"{request.clinic.slug}-csv-{request.clinic.today()}.zip"
    )


@role_required(Role.CLINIC_ADMIN)
@require_POST
def export_fhir(request):
    data = ndjson_zip(request.clinic, request.user)
    return _download(
        data, "application/zip", f"{request.clinic.slug}-fhir-{request.clinic.today()}.zip"
    )
