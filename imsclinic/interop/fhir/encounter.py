"""Encounter: a treatment session or an assessment visit (clinical.md §6.4: class AMB)."""

import datetime

from imsclinic.interop.fhir.common import V3_ACT_CODE, build, coding, instant, ref
from imsclinic.interop.fhir.practitioner import role_id

AMBULATORY = coding(V3_ACT_CODE, "AMB", "ambulatory")
VIRTUAL = coding(V3_ACT_CODE, "VR", "virtual")


def _participant(user, clinic) -> dict:
    return {"individual": ref("PractitionerRole", role_id(user, clinic), user.display_name)}


def _encounter_class(record):
    appointment = getattr(record, "appointment", None)
    return VIRTUAL if appointment is not None and appointment.mode == "video" else AMBULATORY


def session_encounter(session):
    """The visit at which a needling session happened."""
    end = (
        session.started_at + datetime.timedelta(minutes=session.duration_minutes)
        if session.duration_minutes
        else None
    )
    return build(
        "Encounter",
        {
            "id": str(session.uuid),
            "status": "finished" if session.signed_at else "in-progress",
            "class": _encounter_class(session),
            "type": [{"text": f"IMS / dry needling treatment, session {session.session_number}"}],
            "subject": ref("Patient", session.patient.uuid),
            "participant": [_participant(session.practitioner, session.clinic)],
            "period": {"start": instant(session.started_at), "end": instant(end)},
            "reasonReference": [ref("CarePlan", session.course.uuid)] if session.course else [],
            "serviceProvider": ref("Organization", session.clinic.uuid, session.clinic.name),
            "basedOn": [],
        },
    )


def assessment_encounter(assessment):
    """The visit at which a Gunn assessment was done (a date: the form records the day)."""
    return build(
        "Encounter",
        {
            "id": str(assessment.uuid),
            "status": "finished" if assessment.signed_at else "in-progress",
            "class": _encounter_class(assessment),
            "type": [{"text": "IMS segmental assessment"}],
            "subject": ref("Patient", assessment.patient.uuid),
            "participant": [_participant(assessment.practitioner, assessment.clinic)],
            "period": {"start": assessment.assessed_on.isoformat()},
            "serviceProvider": ref("Organization", assessment.clinic.uuid, assessment.clinic.name),
        },
    )
