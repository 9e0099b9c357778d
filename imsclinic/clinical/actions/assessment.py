"""Assessment and course-of-care actions."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical import engine
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.actions.signing import SigningRefused, assessment_refusals
from imsclinic.clinical.models import Assessment, AssessmentFinding, CourseOfCare
from imsclinic.knowledge import load_knowledge

ASSESSMENT_FIELDS = (
    "assessed_on",
    "pain_pattern",
    "onset",
    "duration_months",
    "treatments_tried",
    "medications",
    "comorbidities",
    "screening_answers",
    "body_chart",
    "gunn_signs",
    "range_of_motion",
    "working_diagnosis",
    "icd10_codes",
    "condition_id",
    "accepted_segments",
)


def _lock(model, obj):
    locked = model.objects.select_for_update().get(pk=obj.pk)
    locked.assert_editable()
    return locked


@transaction.atomic
def start_assessment(*, patient, by, assessed_on=None, appointment=None) -> Assessment:
    """Open a draft assessment for the patient, dated today in the clinic's time zone."""
    assessment = Assessment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        practitioner=by,
        assessed_on=assessed_on or patient.clinic.today(),
        **({"appointment": appointment} if appointment is not None else {}),
    )
    record(by=by, action="assessment.start", target=assessment, patient=patient, summary="Started")
    return assessment


def _refresh_suggestion(assessment) -> None:
    assessment.suggested_segments = engine.suggest(assessment)


@transaction.atomic
def update_assessment(*, assessment, by, fields: dict) -> list[str]:
    """Save history, screening, body chart, signs, diagnosis or accepted segments on a draft.

    The engine's suggestion is recomputed, so the snapshot always matches the findings saved.
    """
    locked = _lock(Assessment, assessment)
    unknown = set(fields) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise ClinicalError(f"Unknown assessment fields: {', '.join(sorted(unknown))}")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    _refresh_suggestion(locked)
    locked.save()
    record(
        by=by,
        action="assessment.update",
        target=locked,
        patient=locked.patient,
        summary="Changed " + (", ".join(changed) or "nothing"),
        details={"fields": changed},
    )
    return changed


@transaction.atomic
def add_finding(*, assessment, by, muscle_id: str, side: str, grade: str) -> AssessmentFinding:
    """Record a tender / taut / shortened muscle; the engine suggestion updates with it."""
    locked = _lock(Assessment, assessment)
    if muscle_id not in load_knowledge().muscles:
        raise ClinicalError(f"{muscle_id!r} is not a muscle in the knowledge base.")
    try:
        with transaction.atomic():
            finding = AssessmentFinding.objects.create(
                assessment=locked, muscle_id=muscle_id, side=side, grade=grade
            )
    except IntegrityError as error:
        raise ClinicalError("That finding is already recorded.") from error
    _refresh_suggestion(locked)
    locked.save(update_fields=["suggested_segments", "updated_at"])
    record(
        by=by,
        action="assessment.finding.add",
        target=locked,
        patient=locked.patient,
        summary=f"Finding {muscle_id} {side} {grade}",
    )
    return finding


@transaction.atomic
def remove_finding(*, finding, by) -> None:
    locked = _lock(Assessment, finding.assessment)
    finding.delete()
    _refresh_suggestion(locked)
    locked.save(update_fields=["suggested_segments", "updated_at"])
    record(
        by=by,
        action="assessment.finding.remove",
        target=locked,
        patient=locked.patient,
        summary=f"Removed finding {finding.muscle_id} {finding.side}",
    )


@transaction.atomic
def sign_assessment(*, assessment, by) -> Assessment:
    """Sign and lock the assessment, or raise SigningRefused with every reason."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    reasons = assessment_refusals(locked, by=by)
    if reasons:
        raise SigningRefused(reasons)
    Assessment.objects.filter(pk=locked.pk).update(signed_at=timezone.now(), signed_by=by)
    locked.refresh_from_db()
    record(
        by=by,
        action="assessment.sign",
        target=locked,
        patient=locked.patient,
        summary="Signed",
        signed_content=locked,
    )
    return locked


@transaction.atomic
def create_course(*, patient, by, fields: dict, assessment=None) -> CourseOfCare:
    """Start a course of care. A patient has one active course; put the old one on hold or
    discharge it first."""
    if CourseOfCare.objects.filter(patient=patient).active().exists():
        raise ClinicalError(
            "This patient already has an active course of care. Discharge it or put it on hold "
            "first."
        )
    try:
        with transaction.atomic():
            course = CourseOfCare.objects.create(
                patient=patient,
                clinic=patient.clinic,
                practitioner=by,
                assessment=assessment,
                started_on=fields.pop("started_on", None) or patient.clinic.today(),
                **fields,
            )
    except IntegrityError as error:
        raise ClinicalError("This patient already has an active course of care.") from error
    record(
        by=by,
        action="course.create",
        target=course,
        patient=patient,
        summary=f"{course.planned_sessions} sessions every {course.frequency_days} days",
    )
    return course


@transaction.atomic
def set_course_status(*, course, by, status: str, reason: str = "") -> CourseOfCare:
    """Put on hold, reactivate or discharge a course."""
    locked = CourseOfCare.objects.select_for_update().get(pk=course.pk)
    if status not in CourseOfCare.Status.values:
        raise ClinicalError("Unknown course status.")
    if locked.status == CourseOfCare.Status.DISCHARGED:
        raise ClinicalError("A discharged course cannot change; start a new course instead.")
    locked.status = status
    if status == CourseOfCare.Status.DISCHARGED:
        locked.discharged_on = locked.clinic.today()
        locked.discharge_reason = reason
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as error:
        raise ClinicalError("This patient already has another active course.") from error
    record(
        by=by,
        action="course.status",
        target=locked,
        patient=locked.patient,
        summary=f"Course {status}",
    )
    return locked
