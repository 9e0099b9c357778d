"""How the rest of the code writes to the audit trail.

Actions call `record(...)` once, inside their transaction, so the event commits or rolls back with
the change it describes. Chart views call `log_chart_access(...)` once per view.
"""

from imsclinic.audit import chain
from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.core import request_context
from imsclinic.core.signals import chart_written


def record(
    *,
    by,
    action: str,
    target=None,
    clinic=None,
    patient=None,
    summary: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Append an audit event. `by` is the acting user (None for the system).

    An event about a patient (`patient`, or a `target` that belongs to one) is a write to their
    chart: it bumps the chart's version stamp in the same transaction, so no cached summary
    section outlives the change, whichever action made it.
    """
    patient_id = getattr(patient, "pk", None) or getattr(target, "patient_id", None)
    if patient_id is not None:
        from imsclinic.patients.chart_cache import bump_chart_version

        bump_chart_version(patient_id)
        if patient is not None:
            # The caller's instance re-reads the new stamp if it renders the chart afterwards.
            patient.__dict__.pop("chart_version", None)
        chart_written.send(sender=record, patient_id=patient_id, action=action)
    clinic_id = getattr(clinic, "pk", clinic)
    if clinic_id is None and patient is not None:
        clinic_id = patient.clinic_id
    if clinic_id is None and target is not None:
        clinic_id = getattr(target, "clinic_id", None)
    return chain.append(
        AuditEvent,
        actor_id=getattr(by, "pk", None),
        actor_username=getattr(by, "username", "") or "",
        clinic_id=clinic_id,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "uuid", None) or getattr(target, "pk", "") or "")
        if target is not None
        else "",
        patient_uuid=getattr(patient, "uuid", None),
        summary=summary[:300],
        details=details or {},
        ip_address=request_context.current().ip_address,
    )


def log_chart_access(*, user, patient, what: str) -> ChartAccess:
    context = request_context.current()
    return chain.append(
        ChartAccess,
        user_id=user.pk,
        username=user.username,
        roles=",".join(sorted(user.roles_at(patient.clinic_id))) or "patient",
        clinic_id=patient.clinic_id,
        patient_uuid=patient.uuid,
        what=what,
        ip_address=context.ip_address,
        user_agent=context.user_agent[:300],
    )
