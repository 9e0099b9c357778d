"""The patient portal's questionnaire section (a PORTAL_SECTIONS contribution)."""

from imsclinic.outcomes.instruments import UnknownInstrument, get_instrument
from imsclinic.outcomes.models import CompletedVia, QuestionnaireResponse
from imsclinic.outcomes.schedule import due_for


def due_for_patient(patient):
    """(active course or None, [Due]) for the patient's own active course."""
    from imsclinic.clinical.models import CourseOfCare

    course = (
        CourseOfCare.objects.filter(patient=patient, status="active")
        .select_related("clinic")
        .first()
    )
    if course is None:
        return None, []
    return course, due_for(course)


def questionnaires_section(request, patient):
    course, due = due_for_patient(patient)
    items = []
    for d in due:
        try:
            inst = get_instrument(patient.clinic, d.instrument_id)
        except UnknownInstrument:
            continue
        items.append({"due": d, "instrument": inst})
    completed = QuestionnaireResponse.objects.filter(
        patient=patient, completed_via=CompletedVia.PORTAL
    ).order_by("-completed_at")[:10]
    if not items and not completed:
        return None
    return {
        "template": "outcomes/portal_section.html",
        "context": {"due": items, "completed": completed, "course": course},
    }
