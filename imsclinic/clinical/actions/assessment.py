"""Assessment and course-of-care actions."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical import engine, safety
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.actions.precautions import (
    cleared_today,
    excluded_targets,
    review_course_plan,
)
from imsclinic.clinical.actions.signing import SigningRefused, assessment_refusals
from imsclinic.clinical.models import Assessment, AssessmentFinding, CourseOfCare
from imsclinic.core.db import write_transaction
from imsclinic.knowledge import is_known_id, load_knowledge, validate_answers
from imsclinic.knowledge.fields import validate_knowledge_ids

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
    "enlarged_nerves",
    "temperature_difference_c",
    "temperature_site",
    "working_diagnosis",
    "icd10_codes",
    "condition_id",
    "accepted_segments",
)


def _check_knowledge_ids(instance) -> None:
    """Refuse an id the knowledge base does not know (a condition, a muscle ...) before saving."""
    try:
        validate_knowledge_ids(instance)
    except ValidationError as error:
        raise ClinicalError(" ".join(error.messages)) from None


def _check_course_targets(fields: dict) -> None:
    for target in fields.get("target_muscles") or []:
        muscle_id = target.get("muscle_id") if isinstance(target, dict) else None
        if not is_known_id("muscle", muscle_id):
            raise ClinicalError(f"{muscle_id} is not a known muscle.")
    for segment in fields.get("target_segments") or []:
        name = segment.partition("-")[0] if isinstance(segment, str) else segment
        if not is_known_id("segment", name):
            raise ClinicalError(f"{segment} is not a spinal segment.")


def _lock(model, obj):
    locked = model.objects.select_for_update().get(pk=obj.pk)
    locked.assert_editable()
    return locked


def screening_age(patient, on) -> int:
    """The screening's age answer always comes from the date of birth (never typed twice)."""
    return patient.age_on(on)


def carried_over_intake(patient, on) -> dict:
    """Assessment fields pre-filled from the patient's latest self-screening / evaluation
    request, for the first assessment. {} when the patient has none."""
    from imsclinic.screening.models import TREATMENTS_TRIED, EvaluationRequest

    request = (
        EvaluationRequest.objects.filter(patient=patient, clinic=patient.clinic)
        .order_by("-created_at", "-id")
        .first()
    )
    if request is None:
        return {}
    answers, _errors = validate_answers(request.answers or {})
    answers["age_years"] = screening_age(patient, on)
    fields = {
        "screening_answers": answers,
        "screening_source": {
            "kind": "self_screening",
            "date": timezone.localtime(request.created_at, patient.clinic.tz).date().isoformat(),
            "request": str(request.uuid),
        },
    }
    months = answers.get("pain_duration_months")
    if months is not None:
        fields["duration_months"] = max(0, round(months))
    labels = dict(TREATMENTS_TRIED)
    tried = [labels.get(key, key) for key in request.treatments_tried or [] if key != "nothing"]
    if request.treatments_other:
        tried.append(request.treatments_other)
    if tried:
        fields["treatments_tried"] = "; ".join(tried)
    return fields


@transaction.atomic
def start_assessment(*, patient, by, assessed_on=None, appointment=None) -> Assessment:
    """Open a draft assessment for the patient, dated today in the clinic's time zone.

    The patient's first assessment starts from their self-screening (evaluation request): the
    screening re-check is pre-ticked with their answers, marked with its date, and waits for
    the practitioner to confirm it with the patient. "Takes blood thinners" therefore reaches
    the assessment without being re-typed.
    """
    assessed_on = assessed_on or patient.clinic.today()
    first = not Assessment.objects.filter(patient=patient).exists()
    carried = carried_over_intake(patient, assessed_on) if first else {}
    assessment = Assessment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        practitioner=by,
        assessed_on=assessed_on,
        **carried,
        **({"appointment": appointment} if appointment is not None else {}),
    )
    if carried:
        _refresh_suggestion(assessment)
        assessment.save(update_fields=["suggested_segments", "updated_at"])
    record(
        by=by,
        action="assessment.start",
        target=assessment,
        patient=patient,
        summary="Started" + (" from the self-screening" if carried else ""),
        details={"carried_over": sorted(carried)},
    )
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
    if "screening_answers" in fields:
        # Age is never typed: it comes from the date of birth.
        fields = {
            **fields,
            "screening_answers": {
                **fields["screening_answers"],
                "age_years": screening_age(locked.patient, locked.assessed_on),
            },
        }
    if (
        fields.get("temperature_difference_c") is not None
        and not (fields.get("temperature_site", locked.temperature_site) or "").strip()
    ):
        raise ClinicalError("Say where the temperature difference was measured.")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    if "screening_answers" in fields and not locked.screening_confirmed:
        # Saving the re-check is the practitioner confirming it with the patient.
        locked.screening_confirmed = True
        changed.append("screening_confirmed")
    _check_knowledge_ids(locked)
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


@write_transaction
def sign_assessment(*, assessment, by) -> Assessment:
    """Sign and lock the assessment, or raise SigningRefused with every reason."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    reasons = assessment_refusals(locked, by=by)
    if reasons:
        raise SigningRefused(reasons)
    precautions = safety.screening_precautions(
        locked.screening_answers, source=f"assessment of {locked.assessed_on:%Y-%m-%d}"
    )
    Assessment.objects.filter(pk=locked.pk).update(
        signed_at=timezone.now(),
        signed_by=by,
        active_precautions=safety.stored_precautions(precautions),
    )
    locked.refresh_from_db()
    course = CourseOfCare.objects.filter(patient=locked.patient).active().first()
    if course is not None:
        review_course_plan(course, precautions)
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
    precautions = safety.patient_precautions(patient)
    excluded = excluded_targets(
        fields.get("target_muscles") or [], precautions, cleared_today(patient)
    )
    if excluded:
        raise ClinicalError(
            "The plan names sites the patient's precautions exclude: "
            + "; ".join(
                f"{safety.muscle_label(t['muscle_id'])} ({t['side']}): {t['reason']}"
                for t in excluded
            )
            + ". Leave them out of the plan."
        )
    _check_course_targets(fields)
    course = CourseOfCare(
        patient=patient,
        clinic=patient.clinic,
        practitioner=by,
        assessment=assessment,
        started_on=fields.pop("started_on", None) or patient.clinic.today(),
        **fields,
    )
    _check_knowledge_ids(course)
    try:
        with transaction.atomic():
            course.save(force_insert=True)
    except IntegrityError as error:
        raise ClinicalError("This patient already has an active course of care.") from error
    review_course_plan(course, precautions, force=True)
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
