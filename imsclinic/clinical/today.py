"""Today panel: the practitioner's patients to chart today, and unsigned drafts to finish."""

import datetime

from django.db.models import Max, Q

from imsclinic.clinical.models import Assessment, CourseOfCare, TreatmentSession
from imsclinic.scheduling.models import Appointment


def _todays_appointments(clinic, user, day):
    return list(
        Appointment.objects.for_clinic_day(clinic, day)
        .active()
        .filter(practitioner=user, kind__in=["ims_treatment", "initial_assessment"])
        .exclude(status__in=["completed", "no_show"])
        .select_related("patient")
        .order_by("starts_at")
    )


def due_courses(clinic, user, day):
    """Active courses of `user` whose next session falls due on or before `day`."""
    courses = (
        CourseOfCare.objects.active()
        .filter(clinic=clinic, practitioner=user)
        .select_related("patient")
        .annotate(last=Max("sessions__started_at", filter=Q(sessions__signed_at__isnull=False)))
    )
    due = []
    for course in courses:
        if course.last is None:
            next_day = course.started_on
        else:
            last_day = course.last.astimezone(clinic.tz).date()
            next_day = last_day + datetime.timedelta(days=course.frequency_days)
        if next_day <= day and (day - next_day).days <= course.frequency_days:
            due.append(course)
    return due


def unsigned_records_panel(request):
    clinic = request.clinic
    user = request.user
    if clinic is None or not user.can_view_clinical(clinic):
        return None
    day = clinic.today()
    drafts = list(
        TreatmentSession.objects.filter(clinic=clinic, practitioner=user)
        .unsigned()
        .select_related("patient")
        .order_by("started_at")
    )
    draft_assessments = list(
        Assessment.objects.filter(clinic=clinic, practitioner=user)
        .unsigned()
        .select_related("patient")
    )
    drafted = {s.patient_id for s in drafts}
    rows, seen = [], set()
    for appointment in _todays_appointments(clinic, user, day):
        patient = appointment.patient
        if patient.pk in seen or patient.pk in drafted:
            continue
        seen.add(patient.pk)
        rows.append(
            {
                "patient": patient,
                "when": appointment.starts_at,
                "why": appointment.get_kind_display(),
                "appointment": appointment.uuid,
                "is_assessment": appointment.kind == "initial_assessment",
            }
        )
    for course in due_courses(clinic, user, day):
        if course.patient_id in seen or course.patient_id in drafted:
            continue
        seen.add(course.patient_id)
        rows.append({"patient": course.patient, "when": None, "why": "Session due"})
    if not rows and not drafts and not draft_assessments:
        return {"template": "clinical/today_panel.html", "context": {"empty": True}}
    return {
        "template": "clinical/today_panel.html",
        "context": {"to_chart": rows, "drafts": drafts, "draft_assessments": draft_assessments},
    }
