"""Interop writes: FHIR imports and the audit of exports. (API tokens: imsclinic.gateway.)"""

from django.db import transaction

from imsclinic.audit.services import record


@transaction.atomic
def import_patients(*, clinic, by, patients: list[tuple[dict, str | None]]):
    """Create validated patients (registry fields, chart number or None) in one transaction.

    Each patient is registered through patients.actions.create_patient (its own audit event);
    this action adds one event for the import as a whole.
    """
    from imsclinic.patients.actions import create_patient

    created = [
        create_patient(clinic=clinic, by=by, fields=fields, chart_number=chart_number)
        for fields, chart_number in patients
    ]
    record(
        by=by,
        action="fhir.import",
        clinic=clinic,
        summary=f"Imported {len(created)} patient(s) from FHIR",
        details={"count": len(created)},
    )
    return created


@transaction.atomic
def record_export(*, clinic, by, kind: str, counts: dict | None = None, patient=None):
    """Audit an export of clinic or patient data (who, what kind, how many of each)."""
    record(
        by=by,
        action=f"export.{kind}",
        clinic=clinic,
        patient=patient,
        target=patient,
        summary=f"Exported {kind}" + (f" for chart {patient.chart_number}" if patient else ""),
        details={"counts": counts or {}},
    )
