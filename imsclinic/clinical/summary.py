"""Chart summary section: active course, target segments, precautions, last session."""

from imsclinic.clinical import safety
from imsclinic.clinical.models import CourseOfCare, TreatmentSession, consent_problems


def clinical_section(request, patient):
    course = CourseOfCare.objects.filter(patient=patient).active().first()
    last = TreatmentSession.objects.filter(patient=patient).signed().order_by("-started_at").first()
    rows = []
    if last is not None:
        rows = [
            {"name": safety.muscle_label(r.muscle_id), "side": r.side}
            for r in last.needling_rows.all()
        ]
    return {
        "template": "clinical/summary_section.html",
        "context": {
            "patient": patient,
            "course": course,
            "sessions_done": course.sessions_done() if course else 0,
            "precautions": safety.patient_precautions(patient),
            "last": last,
            "last_rows": rows,
            "consent_problems": consent_problems(patient),
        },
    }
