"""Writes to the patient registry. Each action is atomic and records one audit event."""

from django.db import IntegrityError, transaction
from django.db.models import Max

from imsclinic.audit.services import record
from imsclinic.patients.models import Patient


def _next_chart_number(clinic) -> str:
    """The next six-digit chart number; imported charts with other formats are left alone."""
    highest = Patient.objects.filter(clinic=clinic, chart_number__regex=r"^[0-9]{6}$").aggregate(
        highest=Max("chart_number")
    )["highest"]
    return f"{int(highest or 0) + 1:06d}"


def create_patient(*, clinic, by, fields: dict, chart_number: str | None = None) -> Patient:
    """Register a patient at `clinic`, numbering the chart when no number is given.

    Two receptionists registering at once may race for the same chart number; the unique
    constraint catches it and we take the next number inside a savepoint.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                patient = Patient(clinic=clinic, **fields)
                patient.chart_number = chart_number or _next_chart_number(clinic)
                patient.save()
                record(
                    by=by,
                    action="patient.create",
                    target=patient,
                    patient=patient,
                    clinic=clinic,
                    summary=f"Registered chart {patient.chart_number}",
                )
                return patient
        except IntegrityError:
            if chart_number:
                raise
    raise IntegrityError("Could not allocate a chart number; please try again.")


@transaction.atomic
def update_patient(*, patient: Patient, by, fields: dict) -> list[str]:
    """Change demographics. The audit event lists which fields changed, never their values."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(locked, name, fields[name])
    locked.save(update_fields=changed + ["updated_at"])
    record(
        by=by,
        action="patient.update",
        target=locked,
        patient=locked,
        summary="Changed " + ", ".join(changed),
        details={"fields": changed},
    )
    for name in changed:
        setattr(patient, name, fields[name])
    return changed
