"""Condition: the working diagnosis of an assessment or a course, one per ICD-10 code."""

from imsclinic.interop.fhir.common import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    CS_KNOWLEDGE_CONDITION,
    CS_SEGMENT,
    build,
    coding,
    icd10_coding,
    ref,
)


def _codes(values) -> list[str]:
    return [str(v).strip() for v in (values or []) if str(v).strip()]


def assessment_conditions(assessment) -> list:
    """One Condition per ICD-10 code of the assessment; one text-only Condition when the
    assessment has a working diagnosis but no code."""
    codes = _codes(assessment.icd10_codes)
    base = {
        "clinicalStatus": {"coding": [coding(CONDITION_CLINICAL, "active")]},
        "verificationStatus": {
            "coding": [
                coding(
                    CONDITION_VERIFICATION, "confirmed" if assessment.signed_at else "provisional"
                )
            ]
        },
        "category": [{"coding": [coding(CONDITION_CATEGORY, "encounter-diagnosis")]}],
        "subject": ref("Patient", assessment.patient.uuid),
        "encounter": ref("Encounter", assessment.uuid),
        "recordedDate": assessment.assessed_on.isoformat(),
        "onsetString": assessment.onset,
        "evidence": [
            {"code": [{"coding": [coding(CS_SEGMENT, segment)], "text": f"Segment {segment}"}]}
            for segment in assessment.accepted_segments or []
            if isinstance(segment, str)
        ],
    }
    extra = (
        [coding(CS_KNOWLEDGE_CONDITION, assessment.condition_id)] if assessment.condition_id else []
    )
    conditions = []
    for index, code in enumerate(codes):
        conditions.append(
            build(
                "Condition",
                {
                    **base,
                    "id": f"{assessment.uuid}-c{index}",
                    "code": {
                        "coding": [icd10_coding(code), *extra],
                        "text": assessment.working_diagnosis or None,
                    },
                },
            )
        )
    if not codes and (assessment.working_diagnosis or assessment.condition_id):
        conditions.append(
            build(
                "Condition",
                {
                    **base,
                    "id": f"{assessment.uuid}-c0",
                    "code": {"coding": extra, "text": assessment.working_diagnosis or None},
                },
            )
        )
    return conditions


def course_conditions(course) -> list:
    """Conditions for a course's ICD-10 codes that its assessment did not already record."""
    covered = set(_codes(course.assessment.icd10_codes)) if course.assessment else set()
    result = []
    for index, code in enumerate(_codes(course.icd10_codes)):
        if code in covered:
            continue
        result.append(
            build(
                "Condition",
                {
                    "id": f"{course.uuid}-c{index}",
                    "clinicalStatus": {
                        "coding": [
                            coding(
                                CONDITION_CLINICAL,
                                "resolved" if course.status == "discharged" else "active",
                            )
                        ]
                    },
                    "category": [{"coding": [coding(CONDITION_CATEGORY, "problem-list-item")]}],
                    "code": {"coding": [icd10_coding(code)]},
                    "subject": ref("Patient", course.patient.uuid),
                    "recordedDate": course.started_on.isoformat(),
                },
            )
        )
    return result


def condition_refs(course) -> list[dict]:
    """References to every Condition a course addresses (its assessment's and its own)."""
    refs = []
    if course.assessment:
        refs += [
            {"reference": f"Condition/{c['id']}"} for c in assessment_conditions(course.assessment)
        ]
    refs += [{"reference": f"Condition/{c['id']}"} for c in course_conditions(course)]
    return refs
