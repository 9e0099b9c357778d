"""Merging a duplicate chart into the chart that survives (clinic admin only, one audited action).

Signed clinical records cannot move: the database refuses any UPDATE of a signed row
(audit/triggers.py, "locked once signed"), the patient column included, and rewriting who a
signed note was about would be an unsigned change to a signed record anyway. So the merge is:

- Records that are not clinical (appointments and series, waitlist entries, evaluation
  requests, portal invitations, the portal account) move to the survivor.
- The clinical group (assessments, courses, consents, precaution clearances and decisions,
  sessions, adverse events, questionnaire responses: rows that point at one another) moves as a
  whole when none of it is signed. When any of it is signed, the whole group stays on the old
  chart, so the rows keep pointing at one chart; appointments those records point at stay with
  them. The survivor links to the old chart and shows it (chart summary, "Merged charts").
- The duplicate is deactivated and points at the survivor; the survivor records the duplicate's
  chart number.

Every relation to Patient must be listed below: a new one makes the merge refuse to run (and
tests/patients/test_merge.py fail) until someone decides how it moves.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction

from imsclinic.accounts.models import Role
from imsclinic.audit.services import record
from imsclinic.audit.triggers import LOCKED_TABLES
from imsclinic.patients.chart_cache import bump_chart_version
from imsclinic.patients.models import Patient

# Moved as one group, or kept as one group (see the module docstring).
CLINICAL_GROUP = (
    "clinical.Assessment",
    "clinical.CourseOfCare",
    "clinical.Consent",
    "clinical.PrecautionClearance",
    "clinical.PrecautionDecision",
    "clinical.TreatmentSession",
    "clinical.AdverseEvent",
    "outcomes.QuestionnaireResponse",
    "reports.IssuedReport",
    # The patient's own drawing is what a signed assessment showed beside its diagram: it stays
    # with the assessment it informed.
    "clinical.PatientPainDrawing",
)
# Never moved: the money trail stays on the chart it was billed to (issued invoices and payments
# are locked in the database), and the duplicate's chart links to the survivor.
BILLING_KEPT = ("billing.Coverage", "billing.Invoice", "billing.Payment", "billing.Claim")
# Derived tables, recomputed from the records by `imsclinic analytics rebuild`.
DERIVED = ("outcomes.PatientMonthRollup",)
# Always moved (appointments and series: unless clinical records kept on the old chart use them).
ADMINISTRATIVE = (
    "scheduling.Appointment",
    "scheduling.AppointmentSeries",
    "screening.EvaluationRequest",
    "portal.PortalInvitation",
    # Waits move with the patient; a booked wait stays with its appointment if that stays.
    "scheduling.WaitlistEntry",
)
# Relations handled by the merge itself.
SELF = ("patients.Patient",)


class MergeError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MergeResult:
    survivor: Patient
    moved: dict[str, int]
    kept: dict[str, int]


def _label(model) -> str:
    return model._meta.label


def unlisted_relations() -> list[str]:
    known = set(CLINICAL_GROUP + ADMINISTRATIVE + BILLING_KEPT + DERIVED + SELF)
    # Hidden relations (related_name="+") count too: a forgotten one would be left behind silently.
    return sorted(
        f"{_label(field.model)}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Patient and _label(field.model) not in known
    )


def _has_signed_rows(duplicate) -> bool:
    for label in CLINICAL_GROUP:
        model = apps.get_model(label)
        rule = LOCKED_TABLES.get(model._meta.db_table)
        if rule is None or rule.parent_table is not None:
            continue
        column = rule.signed_column.removesuffix("_id")
        if model.objects.filter(patient=duplicate, **{f"{column}__isnull": False}).exists():
            return True
    return False


def _verbose(label: str) -> str:
    return str(apps.get_model(label)._meta.verbose_name_plural)


@transaction.atomic
def merge_patients(*, survivor: Patient, duplicate: Patient, by) -> MergeResult:
    """Move the duplicate chart's records to `survivor` and deactivate the duplicate."""
    if unlisted_relations():
        raise MergeError(
            "The merge does not know how to move: " + ", ".join(unlisted_relations()) + "."
        )
    if survivor.pk == duplicate.pk:
        raise MergeError("Choose two different charts.")
    if survivor.clinic_id != duplicate.clinic_id:
        raise MergeError("Charts of different clinics cannot be merged.")
    if not by.has_role(survivor.clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only a clinic admin merges charts.")
    # Both rows locked, in id order (two merges of the same pair cannot cross).
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update(no_key=True)
        .filter(pk__in=[survivor.pk, duplicate.pk])
        .order_by("pk")
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if not duplicate.is_active or duplicate.merged_into_id:
        raise MergeError(f"Chart {duplicate.chart_number} is already merged or inactive.")
    if not survivor.is_active:
        raise MergeError(f"Chart {survivor.chart_number} is inactive: it cannot receive records.")

    moved: dict[str, int] = {}
    kept: dict[str, int] = {}
    clinical_moves = not _has_signed_rows(duplicate)
    kept_appointments: set[int] = set()
    for label in CLINICAL_GROUP:
        model = apps.get_model(label)
        rows = model.objects.filter(patient=duplicate)
        if clinical_moves:
            moved[label] = rows.update(patient=survivor)
        else:
            kept[label] = rows.count()
            if any(f.name == "appointment" for f in model._meta.get_fields()):
                kept_appointments.update(
                    rows.exclude(appointment=None).values_list("appointment_id", flat=True)
                )
    Appointment = apps.get_model("scheduling.Appointment")
    Series = apps.get_model("scheduling.AppointmentSeries")
    kept_series = set(
        Appointment.objects.filter(pk__in=kept_appointments)
        .exclude(series=None)
        .values_list("series_id", flat=True)
    )
    kept_appointments.update(
        Appointment.objects.filter(series_id__in=kept_series).values_list("pk", flat=True)
    )
    appointments = Appointment.objects.filter(patient=duplicate).exclude(pk__in=kept_appointments)
    moved["scheduling.Appointment"] = appointments.update(patient=survivor)
    kept["scheduling.Appointment"] = len(kept_appointments)
    moved["scheduling.AppointmentSeries"] = (
        Series.objects.filter(patient=duplicate)
        .exclude(pk__in=kept_series)
        .update(patient=survivor)
    )
    kept["scheduling.AppointmentSeries"] = len(kept_series)
    waits = apps.get_model("scheduling.WaitlistEntry").objects.filter(patient=duplicate)
    kept["scheduling.WaitlistEntry"] = waits.filter(appointment_id__in=kept_appointments).count()
    moved["scheduling.WaitlistEntry"] = waits.exclude(appointment_id__in=kept_appointments).update(
        patient=survivor
    )
    for label in ("screening.EvaluationRequest", "portal.PortalInvitation"):
        moved[label] = (
            apps.get_model(label).objects.filter(patient=duplicate).update(patient=survivor)
        )
    # Charts merged into the duplicate earlier now point at the survivor (no chains).
    Patient.objects.filter(merged_into=duplicate).update(merged_into=survivor)

    portal_user = duplicate.portal_user
    duplicate.portal_user = None
    duplicate.is_active = False
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["portal_user", "is_active", "merged_into", "updated_at"])
    fields = ["merged_chart_numbers", "updated_at"]
    if portal_user is not None and survivor.portal_user_id is None:
        survivor.portal_user = portal_user
        fields.append("portal_user")
    survivor.merged_chart_numbers = [
        *survivor.merged_chart_numbers,
        duplicate.chart_number,
        *duplicate.merged_chart_numbers,
    ]
    survivor.save(update_fields=fields)

    # The audit event below bumps the survivor's chart version; the old chart changed too, so
    # its cached chart sections must go as well.
    bump_chart_version(duplicate.pk)
    moved = {label: n for label, n in moved.items() if n}
    kept = {label: n for label, n in kept.items() if n}
    record(
        by=by,
        action="patient.merge",
        target=survivor,
        patient=survivor,
        summary=f"Merged chart {duplicate.chart_number} into chart {survivor.chart_number}"
        + (" (signed clinical records stay on the old chart, linked)" if kept else ""),
        details={
            "duplicate": str(duplicate.uuid),
            "duplicate_chart_number": duplicate.chart_number,
            "moved": moved,
            "kept": kept,
        },
    )
    return MergeResult(
        survivor=survivor,
        moved={_verbose(k): v for k, v in moved.items()},
        kept={_verbose(k): v for k, v in kept.items()},
    )
