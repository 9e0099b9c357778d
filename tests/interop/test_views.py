"""The patient's own-record export in the portal, and the admin's whole-clinic export page."""

import io
import zipfile

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from imsclinic.audit.models import AuditEvent
from imsclinic.interop.fhir.common import fhir_class
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_portal_home_offers_the_record_downloads(client, pat):
    client.force_login(pat)
    response = client.get("/portal/")
    assert response.status_code == 200
    for name in ("record/", "record.pdf", "record.fhir.json"):
        assert f"/interop/portal/{name}" in response.content.decode()


def test_portal_fhir_download_is_the_patients_own_bundle_and_audited(
    client, pat, full_record, patient_a
):
    other = PatientFactory(clinic=patient_a.clinic)
    client.force_login(pat)
    response = client.get("/interop/portal/record.fhir.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    bundle = response.json()
    fhir_class("Bundle").model_validate(bundle)
    patients = [
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patients == [str(patient_a.uuid)]
    assert str(other.uuid) not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="export.portal_fhir", patient_uuid=patient_a.uuid
    ).exists()


def test_portal_readable_record_and_pdf(client, pat, full_record):
    # The patient sees signed work only (a draft assessment is left out).
    assessment = full_record["assessment"]
    type(assessment).objects.filter(pk=assessment.pk).update(
        signed_at=full_record["session"].signed_at, signed_by=full_record["session"].signed_by
    )
    client.force_login(pat)
    page = client.get("/interop/portal/record/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chronic low back pain" in text and "Gluteus medius" in text.replace(
        "gluteus medius", "Gluteus medius"
    )
    pdf = client.get("/interop/portal/record.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    extracted = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Patricia Nguyen" in extracted and "M54.5" in extracted
    kinds = set(
        AuditEvent.objects.filter(action__startswith="export.portal").values_list(
            "action", flat=True
        )
    )
    assert kinds == {"export.portal_html", "export.portal_pdf"}


def test_portal_appointments_ics_parses(client, pat, patient_a, alice):
    import datetime

    from django.utils import timezone

    from imsclinic.scheduling.models import Appointment

    start = timezone.now() + datetime.timedelta(days=2)
    Appointment.objects.create(
        clinic=patient_a.clinic,
        patient=patient_a,
        practitioner=alice,
        kind="ims_treatment",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
    )
    client.force_login(pat)
    response = client.get("/interop/portal/appointments.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    assert events[0].decoded("dtstart") == start.replace(microsecond=0) or events[0].decoded(
        "dtstart"
    )


def test_staff_cannot_use_the_portal_export(client, alice):
    client.force_login(alice)
    assert client.get("/interop/portal/record.fhir.json").status_code == 403


def test_admin_export_page_downloads_are_admin_only(client, olivia, alice, full_record):
    client.force_login(alice)
    assert client.get("/interop/exports/").status_code == 403
    assert client.post("/interop/exports/csv/").status_code == 403
    client.force_login(olivia)
    assert client.get("/interop/exports/").status_code == 200
    response = client.post("/interop/exports/fhir/")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"Patient.ndjson", "Procedure.ndjson", "Consent.ndjson"} <= set(names)
    response = client.post("/interop/exports/csv/")
    assert "needling_rows.csv" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert client.get("/interop/exports/csv/").status_code == 405
