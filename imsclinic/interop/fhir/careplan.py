"""CarePlan: a course of care (segments, muscles, sessions planned, frequency, PSFS goals)."""

from imsclinic.interop.fhir.common import build, day, muscle_name, ref

STATUS = {"active": "active", "on_hold": "on-hold", "discharged": "completed"}


def care_plan(course, condition_refs=()):
    muscles = ", ".join(
        f"{m.get('side', '')} {muscle_name(m.get('muscle_id', ''))}".strip()
        for m in course.target_muscles or []
        if isinstance(m, dict) and m.get("muscle_id")
    )
    segments = ", ".join(str(s) for s in course.target_segments or [])
    goals = [
        f"{g.get('activity')} (baseline {g.get('baseline_score')}/10)"
        for g in course.goals or []
        if isinstance(g, dict) and g.get("activity")
    ]
    description = f"{course.planned_sessions} sessions every {course.frequency_days} days"
    if segments:
        description += f"; target segments {segments}"
    if muscles:
        description += f"; target muscles {muscles}"
    description += f"; review at session {course.review_at_session}"
    return build(
        "CarePlan",
        {
            "id": str(course.uuid),
            "status": STATUS.get(course.status, "unknown"),
            "intent": "plan",
            "title": "IMS / dry needling course of care",
            "description": description,
            "subject": ref("Patient", course.patient.uuid),
            "period": {"start": day(course.started_on), "end": day(course.discharged_on)},
            "author": ref(
                "Practitioner", course.practitioner.uuid, course.practitioner.display_name
            ),
            "addresses": list(condition_refs),
            "supportingInfo": [ref("Encounter", course.assessment.uuid)]
            if course.assessment_id
            else [],
            "activity": [
                {
                    "detail": {
                        "kind": "ServiceRequest",
                        "code": {"text": "IMS / dry needling session"},
                        "status": "completed" if course.status == "discharged" else "in-progress",
                        "scheduledTiming": {
                            "repeat": {
                                "count": course.planned_sessions,
                                "frequency": 1,
                                "period": course.frequency_days,
                                "periodUnit": "d",
                            }
                        },
                        "description": description,
                    }
                }
            ],
            "note": [{"text": "Goals (PSFS): " + "; ".join(goals)}] if goals else [],
        },
    )
