"""`Patient.latest_booked_start`: the start of the patient's latest appointment that still counts
as booked (any status but cancelled and no-show).

The Today panel's dropout rule asks "does the patient have an appointment still to come?" for
every active course of the clinic. That is `latest_booked_start >= now`: the column changes only
when an appointment is written, never with the clock, so the question costs a column read instead
of a search of the appointments per course (on PostgreSQL, a hash of the whole table).

Kept current by:
- saves and deletes of appointments (model signals): booking, a series, moving (the old visit is
  cancelled, the new one created), cancelling, every status change, and writes that are not
  actions (fixtures, the waitlist demo);
- a patient merge, which moves appointments with a queryset update (no model signal): the
  `patient.merge` audit event (`core.signals.chart_written`) refreshes the surviving chart and
  the charts merged into it;
- `refresh_latest_booked` over whole clinics, which `imsclinic analytics rebuild` runs after bulk
  writes (the demo and the benchmark generators write appointments with bulk_create);
- the migration that added the column, for existing data.
"""

from django.db.models import Max, OuterRef, Subquery

from imsclinic.scheduling.models import Appointment, Status

NOT_BOOKED = (Status.CANCELLED, Status.NO_SHOW)


def latest_booked_start_of(patient_ref):
    """The patient's latest booked start as a subquery (None when nothing is booked)."""
    return Subquery(
        Appointment.objects.filter(patient=patient_ref)
        .exclude(status__in=NOT_BOOKED)
        .order_by()
        .values("patient")
        .annotate(latest=Max("starts_at"))
        .values("latest")[:1]
    )


def refresh_latest_booked(patients) -> int:
    """Recompute `latest_booked_start` of `patients` (a Patient queryset) in one UPDATE; returns
    how many rows it wrote."""
    return patients.update(latest_booked_start=latest_booked_start_of(OuterRef("pk")))


def _refresh_patient(patient_id) -> None:
    from imsclinic.patients.models import Patient

    refresh_latest_booked(Patient.objects.filter(pk=patient_id))


def _appointment_written(sender, instance, **kwargs):
    if instance.patient_id is not None:
        _refresh_patient(instance.patient_id)


def _chart_written(sender, patient_id, action="", **kwargs):
    if action == "patient.merge":
        from django.db.models import Q

        from imsclinic.patients.models import Patient

        # The duplicate's appointments moved to the survivor with a queryset update.
        refresh_latest_booked(Patient.objects.filter(Q(pk=patient_id) | Q(merged_into=patient_id)))


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from imsclinic.core.signals import chart_written

    post_save.connect(_appointment_written, sender=Appointment, dispatch_uid="booked-save")
    post_delete.connect(_appointment_written, sender=Appointment, dispatch_uid="booked-delete")
    chart_written.connect(_chart_written, dispatch_uid="booked-chart")
