"""Writes to the patient registry. Each action is atomic and records one audit event."""

import re

from django.db import transaction
from django.db.models import Max

from imsclinic.audit.services import record
from imsclinic.core.db import write_transaction
from imsclinic.patients.models import ChartNumberCounter, Patient

# Chart numbers the clinic gives out: six digits, zero-padded ("000042"). Imported charts keep
# whatever number they came with; only six-digit ones take part in the numbering.
CHART_NUMBER_DIGITS = 6
NUMBERED_CHART = re.compile(rf"^[0-9]{{{CHART_NUMBER_DIGITS}}}$")


def format_chart_number(number: int) -> str:
    return f"{number:0{CHART_NUMBER_DIGITS}d}"


def highest_numbered_chart(clinic_id) -> int:
    """The highest six-digit chart number at the clinic (0 for none). Read once, to seed the
    clinic's counter; zero-padded numbers of one length sort as text like numbers."""
    highest = Patient.objects.filter(
        clinic_id=clinic_id, chart_number__regex=NUMBERED_CHART.pattern
    ).aggregate(highest=Max("chart_number"))["highest"]
    return int(highest or 0)


def _locked_counter(clinic_id) -> ChartNumberCounter:
    """The clinic's counter row, locked until the transaction ends (created on first use,
    seeded from the numbers already there). First in the lock order (docs/performance.md)."""
    counter = ChartNumberCounter.objects.select_for_update().filter(clinic_id=clinic_id).first()
    if counter is None:
        # Two first registrations at a new clinic may both get here: the insert that loses is
        # ignored, and both then lock the one row.
        ChartNumberCounter.objects.bulk_create(
            [
                ChartNumberCounter(
                    clinic_id=clinic_id, last_number=highest_numbered_chart(clinic_id)
                )
            ],
            ignore_conflicts=True,
        )
        counter = ChartNumberCounter.objects.select_for_update().get(clinic_id=clinic_id)
    return counter


def _number_chart(clinic_id, chart_number: str | None) -> str:
    """The chart number for a new patient, with the clinic's counter locked.

    Without a number: the next one after the counter, skipping any number a chart already has
    (one imported or written by a bulk loader). With a six-digit number: the counter moves past
    it, so the numbering never hands it out again.
    """
    counter = _locked_counter(clinic_id)
    if chart_number:
        if NUMBERED_CHART.match(chart_number) and int(chart_number) > counter.last_number:
            counter.last_number = int(chart_number)
            counter.save(update_fields=["last_number"])
        return chart_number
    number = counter.last_number + 1
    while Patient.objects.filter(
        clinic_id=clinic_id, chart_number=format_chart_number(number)
    ).exists():
        number += 1
    counter.last_number = number
    counter.save(update_fields=["last_number"])
    return format_chart_number(number)


@write_transaction
def create_patient(
    *,
    clinic,
    by,
    fields: dict,
    chart_number: str | None = None,
    despite_candidates: list[str] = (),
) -> Patient:
    """Register a patient at `clinic`, numbering the chart when no number is given.

    A chart number given that another patient of the clinic already has is refused with
    IntegrityError (the unique constraint), and nothing is saved. `despite_candidates` are the
    chart numbers of possible duplicates staff were warned about and registered past: the audit
    event keeps them.
    """
    patient = Patient(clinic=clinic, **fields)
    patient.chart_number = _number_chart(clinic.pk, chart_number)
    patient.save()
    record(
        by=by,
        action="patient.create",
        target=patient,
        patient=patient,
        clinic=clinic,
        summary=f"Registered chart {patient.chart_number}"
        + (
            f" despite possible duplicates {', '.join(despite_candidates)}"
            if despite_candidates
            else ""
        ),
        details={"possible_duplicates": list(despite_candidates)} if despite_candidates else None,
    )
    return patient


@transaction.atomic
def update_patient(*, patient: Patient, by, fields: dict) -> list[str]:
    """Change demographics. The audit event lists which fields changed, never their values."""
    locked = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
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
