"""Keeps the course-priority columns (outcomes/priority.py) current as charts change."""

from django.db.models.signals import post_delete, post_save

from imsclinic.core.signals import chart_written
from imsclinic.outcomes import batching, priority, rollups


def _chart_written(sender, patient_id, action="", **kwargs):
    if action.startswith(priority.PRIORITY_ACTIONS):
        priority.refresh_for_patient(patient_id)
    if action.startswith(rollups.ROLLUP_ACTIONS):
        rollups.refresh_patient(patient_id)


def _course_record_saved(sender, instance, **kwargs):
    if getattr(instance, "signed_at", True) is None:
        return  # a draft session's edits change nothing the rules count
    course_id = getattr(instance, "course_id", None)
    if course_id is not None:
        _refresh_course(course_id)


def _course_saved(sender, instance, **kwargs):
    _refresh_course(instance.pk)


def _refresh_course(course_id):
    from imsclinic.clinical.models import CourseOfCare

    if batching.note(course_id):
        return

    priority.refresh_course_priorities(CourseOfCare.objects.filter(pk=course_id))


def _clinic_rules_saved(sender, instance, **kwargs):
    # A clinic's course rules or its own instruments changed: every active course there.
    clinic_id = getattr(instance, "clinic_id", None) or instance.pk
    priority.refresh_for_clinic(clinic_id)


def connect() -> None:
    from imsclinic.accounts.models import Clinic
    from imsclinic.clinical.models import CourseOfCare, TreatmentSession
    from imsclinic.outcomes.models import ClinicInstrument, QuestionnaireResponse

    chart_written.connect(_chart_written, dispatch_uid="outcomes-priority-chart")
    for model in (TreatmentSession, QuestionnaireResponse):
        post_save.connect(_course_record_saved, sender=model, dispatch_uid=f"prio-{model.__name__}")
        post_delete.connect(
            _course_record_saved, sender=model, dispatch_uid=f"prio-del-{model.__name__}"
        )
    post_save.connect(_course_saved, sender=CourseOfCare, dispatch_uid="prio-course")
    post_save.connect(_clinic_rules_saved, sender=Clinic, dispatch_uid="prio-clinic")
    post_save.connect(_clinic_rules_saved, sender=ClinicInstrument, dispatch_uid="prio-instr")
