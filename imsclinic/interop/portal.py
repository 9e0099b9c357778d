"""The patient's own-record export in the portal (a PORTAL_SECTIONS contribution).

The patient downloads their whole record as a FHIR R4 Bundle (the same `$everything` staff and
partners get), reads or prints it as a page, saves it as a PDF, and adds their appointments to
a calendar (.ics). Every download is audited; the views only ever see the signed-in patient.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from imsclinic.clinical.models import Assessment, Consent, CourseOfCare, TreatmentSession
from imsclinic.interop.fhir.common import muscle_name
from imsclinic.knowledge import load_knowledge
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.scheduling.models import Appointment


def record_export_section(request, patient):
    return {
        "template": "interop/portal_export.html",
        "context": {},
    }


def readable_record(patient) -> dict:
    """What the printable record shows, gathered per area.

    The patient sees only signed assessments and sessions: a draft is the practitioner's work in
    progress and may still change."""
    instruments = load_knowledge().instruments
    data: dict = {"patient": patient, "clinic": patient.clinic, "generated_at": timezone.now()}
    data["consents"] = list(Consent.objects.filter(patient=patient).select_related("text_version"))
    data["assessments"] = list(
        Assessment.objects.filter(patient=patient, signed_at__isnull=False).select_related(
            "practitioner"
        )
    )
    data["courses"] = list(CourseOfCare.objects.filter(patient=patient))
    data["sessions"] = [
        {
            "session": session,
            "muscles": [
                f"{row.get_side_display()} {muscle_name(row.muscle_id)}"
                for row in session.needling_rows.all()
            ],
            "adverse_events": list(session.adverse_events.all()),
        }
        for session in TreatmentSession.objects.filter(patient=patient, signed_at__isnull=False)
        .select_related("practitioner", "clinic")
        .prefetch_related("needling_rows", "adverse_events")
        .order_by("started_at")
    ]
    data["responses"] = [
        {
            "response": r,
            "name": instruments[r.instrument_id].name
            if r.instrument_id in instruments
            else r.instrument_id,
        }
        for r in QuestionnaireResponse.objects.filter(patient=patient).order_by("completed_at")
    ]
    data["appointments"] = list(
        Appointment.objects.filter(patient=patient)
        .select_related("practitioner")
        .order_by("starts_at")
    )
    return data


def appointments_ics(patient) -> bytes:
    """The patient's appointments (past 90 days and all upcoming) as an RFC 5545 calendar."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//IMS Clinic//Patient record//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{patient.clinic.name} appointments")
    since = timezone.now() - datetime.timedelta(days=90)
    clinic = patient.clinic
    address = ", ".join(p for p in [clinic.address_line1, clinic.city, clinic.region] if p)
    for appointment in (
        Appointment.objects.filter(patient=patient, starts_at__gte=since)
        .select_related("practitioner")
        .order_by("starts_at")
    ):
        event = Event()
        event.add("uid", f"{appointment.uuid}@imsclinic")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", f"{appointment.get_kind_display()} at {clinic.name}")
        cancelled = appointment.status == "cancelled"
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add(
            "location",
            "Video visit (link sent by the clinic)" if appointment.mode == "video" else address,
        )
        event.add("description", f"With {appointment.practitioner.display_name}")
        cal.add_component(event)
    return cal.to_ical()
