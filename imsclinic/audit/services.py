"""How the rest of the code writes to the audit trail.

Actions call `record(...)` once, inside their transaction, so the event commits or rolls back with
the change it describes. Chart views call `log_chart_access(...)` once per view.
"""

from imsclinic.audit import chain
from imsclinic.audit import signed_content as signed
from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.core import request_context


def record(
    *,
    by,
    action: str,
    target=None,
    clinic=None,
    patient=None,
    summary: str = "",
    details: dict | None = None,
    signed_content=None,
) -> AuditEvent:
    """Append an audit event. `by` is the acting user (None for the system).

    Call it as the action's last write: it takes the clinic's chain lock, which must be the last
    lock of the transaction. `signed_content` is the record a sign action just signed; the event
    then carries the hash of its content (audit.signed_content).
    """
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
        content_hash=signed.content_hash(signed_content) if signed_content is not None else "",
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
