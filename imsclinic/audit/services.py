"""How the rest of the code writes to the audit trail.

Actions call `record(...)` once, inside their transaction, so the event commits or rolls back with
the change it describes. Chart views call `log_chart_access(...)` once per view.

Lock order: an append locks its clinic's chain head, and that must be the LAST lock a transaction
takes (business rows first, chain head last, in every transaction), or two writers can deadlock.
A plain action records as its last write. An action that calls other actions and then takes
more row locks (e.g. create a patient, then book) is decorated with `@appends_last`: the events
its sub-actions record are held and appended, in order, when it returns, still inside its
transaction. Events recorded inside a savepoint that was rolled back are dropped with it.
"""

import functools
import threading

from django.db import connection, transaction

from imsclinic.audit import chain
from imsclinic.audit import signed_content as signed
from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.core import request_context
from imsclinic.core.signals import chart_written

_deferral = threading.local()


def appends_last(func):
    """Hold the audit appends of `func` (and everything it calls) until it returns.

    Put it under `@transaction.atomic`, so the held events are appended inside the transaction,
    after every business row lock it took.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if getattr(_deferral, "held", None) is not None:
            return func(*args, **kwargs)  # an outer appends_last flushes everything
        if not connection.in_atomic_block:
            raise RuntimeError(f"{func.__qualname__}: put @appends_last under @transaction.atomic.")
        _deferral.held = []
        try:
            result = func(*args, **kwargs)
            held, _deferral.held = _deferral.held, None
            alive = {id(hook) for _sids, hook, _robust in connection.run_on_commit}
            for marker, row in held:
                if id(marker) in alive:  # not inside a savepoint that was rolled back
                    chain.append_row(row)
            return result
        finally:
            _deferral.held = None

    return wrapper


def _append(model, **fields):
    held = getattr(_deferral, "held", None)
    if held is None or not connection.in_atomic_block:
        return chain.append(model, **fields)
    row = chain.build_row(model, **fields)

    # A no-op on-commit hook marks the savepoint the event belongs to: Django forgets the hooks
    # of a savepoint that rolls back, and so the event is dropped with it.
    def marker():
        return None

    transaction.on_commit(marker)
    held.append((marker, row))
    return row


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
    return _append(
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
    return _append(
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
