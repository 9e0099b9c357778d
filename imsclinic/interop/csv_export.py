"""Whole-clinic CSV export: one file per table (patients, appointments, assessments, courses,
sessions, needling rows, adverse events, outcome responses).

Every cell goes through core.downloads.csv_writer, whose formula guard keeps exported free text
from executing in Excel or LibreOffice (CSV injection).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from imsclinic.clinical.models import (
    AdverseEvent,
    Assessment,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from imsclinic.core.downloads import csv_writer
from imsclinic.interop import actions
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment


def _uuid(obj) -> str:
    return str(obj.uuid) if obj is not None else ""


# table name -> (model, select_related, [(column, getter)])
TABLES = {
    "patients": (
        Patient,
        (),
        [
            ("uuid", lambda p: p.uuid),
            ("chart_number", lambda p: p.chart_number),
            ("given_name", lambda p: p.given_name),
            ("family_name", lambda p: p.family_name),
            ("preferred_name", lambda p: p.preferred_name),
            ("date_of_birth", lambda p: p.date_of_birth),
            ("sex", lambda p: p.sex),
            ("phone", lambda p: p.phone),
            ("email", lambda p: p.email),
            ("address_line1", lambda p: p.address_line1),
            ("address_line2", lambda p: p.address_line2),
            ("city", lambda p: p.city),
            ("region", lambda p: p.region),
            ("postal_code", lambda p: p.postal_code),
            ("health_card_number", lambda p: p.health_card_number),
            ("health_card_region", lambda p: p.health_card_region),
            ("insurer", lambda p: p.insurer),
            ("insurance_number", lambda p: p.insurance_number),
            ("preferred_language", lambda p: p.preferred_language),
            ("referring_physician", lambda p: p.referring_physician),
            ("is_active", lambda p: p.is_active),
            ("created_at", lambda p: p.created_at),
        ],
    ),
    "appointments": (
        Appointment,
        ("patient", "practitioner"),
        [
            ("uuid", lambda a: a.uuid),
            ("patient_uuid", lambda a: a.patient.uuid),
            ("practitioner", lambda a: a.practitioner.username),
            ("kind", lambda a: a.kind),
            ("mode", lambda a: a.mode),
            ("starts_at", lambda a: a.starts_at.isoformat()),
            ("ends_at", lambda a: a.ends_at.isoformat()),
            ("status", lambda a: a.status),
            ("booked_via", lambda a: a.booked_via),
            ("cancelled_at", lambda a: a.cancelled_at.isoformat() if a.cancelled_at else ""),
            ("cancel_reason", lambda a: a.cancel_reason),
        ],
    ),
    "assessments": (
        Assessment,
        ("patient", "practitioner"),
        [
            ("uuid", lambda a: a.uuid),
            ("patient_uuid", lambda a: a.patient.uuid),
            ("practitioner", lambda a: a.practitioner.username),
            ("assessed_on", lambda a: a.assessed_on),
            ("working_diagnosis", lambda a: a.working_diagnosis),
            ("icd10_codes", lambda a: " ".join(map(str, a.icd10_codes or []))),
            ("condition_id", lambda a: a.condition_id),
            ("accepted_segments", lambda a: " ".join(map(str, a.accepted_segments or []))),
            ("duration_months", lambda a: a.duration_months),
            ("signed_at", lambda a: a.signed_at.isoformat() if a.signed_at else ""),
        ],
    ),
    "courses": (
        CourseOfCare,
        ("patient", "practitioner"),
        [
            ("uuid", lambda c: c.uuid),
            ("patient_uuid", lambda c: c.patient.uuid),
            ("practitioner", lambda c: c.practitioner.username),
            ("status", lambda c: c.status),
            ("started_on", lambda c: c.started_on),
            ("discharged_on", lambda c: c.discharged_on),
            ("planned_sessions", lambda c: c.planned_sessions),
            ("frequency_days", lambda c: c.frequency_days),
            ("icd10_codes", lambda c: " ".join(map(str, c.icd10_codes or []))),
            ("target_segments", lambda c: " ".join(map(str, c.target_segments or []))),
            ("target_muscles", lambda c: c.target_muscles),
            ("goals", lambda c: c.goals),
        ],
    ),
    "sessions": (
        TreatmentSession,
        ("patient", "practitioner", "course"),
        [
            ("uuid", lambda s: s.uuid),
            ("patient_uuid", lambda s: s.patient.uuid),
            ("course_uuid", lambda s: _uuid(s.course)),
            ("practitioner", lambda s: s.practitioner.username),
            ("session_number", lambda s: s.session_number),
            ("started_at", lambda s: s.started_at.isoformat()),
            ("duration_minutes", lambda s: s.duration_minutes),
            ("pain_before", lambda s: s.pain_before),
            ("pain_after", lambda s: s.pain_after),
            ("needles_in", lambda s: s.needles_in),
            ("needles_out", lambda s: s.needles_out),
            ("signed_at", lambda s: s.signed_at.isoformat() if s.signed_at else ""),
        ],
    ),
    "needling_rows": (
        NeedlingRow,
        ("session__patient",),
        [
            ("session_uuid", lambda r: r.session.uuid),
            ("patient_uuid", lambda r: r.session.patient.uuid),
            ("order", lambda r: r.order),
            ("muscle_id", lambda r: r.muscle_id),
            ("side", lambda r: r.side),
            ("paraspinal_level", lambda r: r.paraspinal_level),
            ("insertions", lambda r: r.insertions),
            ("depth_mm", lambda r: r.depth_mm),
            ("needle_gauge", lambda r: r.needle_gauge),
            ("needle_length_mm", lambda r: r.needle_length_mm),
            ("lot_number", lambda r: r.lot_number),
            ("response", lambda r: r.response),
            ("tolerance", lambda r: r.tolerance),
        ],
    ),
    "adverse_events": (
        AdverseEvent,
        ("patient", "session"),
        [
            ("uuid", lambda e: e.uuid),
            ("patient_uuid", lambda e: e.patient.uuid),
            ("session_uuid", lambda e: e.session.uuid),
            ("kind", lambda e: e.kind),
            ("severity", lambda e: e.severity),
            ("occurred_at", lambda e: e.occurred_at.isoformat()),
            ("action_taken", lambda e: e.action_taken),
            ("follow_up", lambda e: e.follow_up),
        ],
    ),
    "outcomes": (
        QuestionnaireResponse,
        ("patient", "course"),
        [
            ("uuid", lambda q: q.uuid),
            ("patient_uuid", lambda q: q.patient.uuid),
            ("course_uuid", lambda q: _uuid(q.course)),
            ("instrument_id", lambda q: q.instrument_id),
            ("timepoint", lambda q: getattr(q, "timepoint", "")),
            ("total", lambda q: q.total),
            ("subscales", lambda q: q.subscales),
            ("answers", lambda q: q.answers),
            ("completed_at", lambda q: q.completed_at.isoformat() if q.completed_at else ""),
            ("completed_via", lambda q: getattr(q, "completed_via", "")),
        ],
    ),
}


def _queryset(model_class, related, clinic):
    if model_class is NeedlingRow:
        queryset = model_class.objects.filter(session__clinic=clinic)
    else:
        queryset = model_class.objects.filter(clinic=clinic)
    return queryset.select_related(*related).order_by("pk")


def write_tables(clinic, writer_for) -> dict[str, int]:
    """Write each table through `writer_for(name)` (a file-like); returns row counts."""
    counts = {}
    for name, (model_class, related, columns) in TABLES.items():
        queryset = _queryset(model_class, related, clinic)
        handle = writer_for(name)
        writer = csv_writer(handle)
        writer.writerow([column for column, _ in columns])
        n = 0
        for obj in queryset.iterator(chunk_size=1000):
            writer.writerow([getter(obj) for _, getter in columns])
            n += 1
        counts[name] = n
    return counts


def write_csv(clinics, out_dir: Path, *, by=None) -> dict[str, int]:
    """out_dir/<clinic slug>/<table>.csv for each clinic; audited per clinic."""
    totals: dict[str, int] = {}
    for clinic in clinics:
        folder = out_dir / clinic.slug
        folder.mkdir(parents=True, exist_ok=True)
        handles = []

        def writer_for(name, folder=folder, handles=handles):
            handle = open(folder / f"{name}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
            handles.append(handle)
            return handle

        try:
            counts = write_tables(clinic, writer_for)
        finally:
            for handle in handles:
                handle.close()
        actions.record_export(clinic=clinic, by=by, kind="csv", counts=counts)
        for name, n in counts.items():
            totals[name] = totals.get(name, 0) + n
    return totals


def csv_zip(clinic, user) -> bytes:
    """The clinic's tables as a zip of CSV files, audited."""
    with tempfile.TemporaryDirectory(prefix="imsclinic-csv-") as tmp:
        write_csv([clinic], Path(tmp), by=user)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((Path(tmp) / clinic.slug).glob("*.csv")):
                archive.write(path, path.name)
        return buffer.getvalue()
