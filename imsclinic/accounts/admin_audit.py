"""Every Django admin change is an audit event (development only: production has no admin).

The admin writes a LogEntry for each addition, change and deletion it makes; each LogEntry becomes
one AuditEvent naming the operator, the record and the fields changed, so an edit made around
the app's actions (a patient's name, a user's roles) still shows in the audit trail.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from imsclinic.audit.services import record

VERBS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def _patient_of(obj):
    from imsclinic.patients.models import Patient

    if isinstance(obj, Patient):
        return obj
    patient = getattr(obj, "patient", None)
    return patient if isinstance(patient, Patient) else None


@receiver(post_save, sender=LogEntry, dispatch_uid="imsclinic-admin-audit")
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    if not created:
        return
    verb = VERBS.get(instance.action_flag, "change")
    model_class = instance.content_type.model_class() if instance.content_type_id else None
    obj = None
    if model_class is not None and verb != "delete":
        obj = model_class._default_manager.filter(pk=instance.object_id).first()
    label = model_class._meta.label if model_class is not None else "unknown"
    record(
        by=instance.user,
        action=f"admin.{verb}",
        target=obj,
        patient=_patient_of(obj),
        clinic=getattr(obj, "clinic_id", None),
        summary=f"Django admin: {verb} {model_class._meta.verbose_name if model_class else 'record'}"
        f" {instance.object_repr}",
        details={
            "model": label,
            "object_id": str(instance.object_id),
            "change": instance.get_change_message(),
        },
    )
