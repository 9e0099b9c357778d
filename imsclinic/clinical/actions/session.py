"""Session actions: start, update, chart needling rows, repeat, adverse events, sign, addenda."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical import safety
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.actions.precautions import review_course_plan
from imsclinic.clinical.actions.signing import SigningRefused, actor_problems, session_refusals
from imsclinic.clinical.models import (
    Addendum,
    AdverseEvent,
    Assessment,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from imsclinic.core.db import write_transaction
from imsclinic.knowledge import load_knowledge
from imsclinic.patients.models import Patient

SESSION_FIELDS = (
    "pain_before",
    "pain_after",
    "needles_in",
    "needles_out",
    "duration_minutes",
    "precheck",
    "clean_technique",
    "aftercare_given",
    "notes",
    "lamina_technique",
)
# A session holds at most this many needling rows (a clinic needles a few dozen sites at most;
# more is a client bug such as a retried request appending its rows again).
MAX_ROWS = 60
# What "repeat last session" copies: where and how deep. Counts, the needle lot, the response
# and tolerance are today's observations and are never copied.
REPEATED_FIELDS = ("muscle_id", "side", "paraspinal_level", "depth_mm")
ROW_FIELDS = (
    "muscle_id",
    "side",
    "paraspinal_level",
    "insertions",
    "depth_mm",
    "needle_gauge",
    "needle_length_mm",
    "lot_number",
    "response",
    "tolerance",
    "depth_acknowledged",
)


def _lock_session(session) -> TreatmentSession:
    # of=self: a bare FOR UPDATE with select_related would also lock the clinic row, which every
    # insert at the clinic needs to KEY SHARE (its foreign key): a clinic-wide lock, and a deadlock
    # with the audit chain's lock under load. Lock order: docs/performance.md.
    locked = (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .get(pk=session.pk)
    )
    locked.assert_editable()
    return locked


def _require_practitioner(by, session) -> None:
    """Defence in depth: only a practitioner who may needle at this clinic charts needling."""
    problems = actor_problems(by, on=session.local_date, clinic=session.clinic)
    if problems:
        raise ClinicalError(" ".join(problems))


def _room_for(session, count: int) -> None:
    existing = session.needling_rows.count()
    if existing + count > MAX_ROWS:
        raise ClinicalError(
            f"A session holds at most {MAX_ROWS} needling rows; this one has {existing}."
        )


def draft_for(patient) -> TreatmentSession | None:
    return TreatmentSession.objects.filter(patient=patient).unsigned().first()


@transaction.atomic
def start_session(*, patient, by, course=None, appointment=None) -> TreatmentSession:
    """Open today's session for the patient (or return the draft already open).

    The patient row is locked while numbering, and a partial unique constraint allows one draft
    per patient, so a double-click or two tablets cannot open two sessions.
    """
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
    existing = draft_for(patient)
    if existing is not None:
        return existing
    if course is None:
        course = CourseOfCare.objects.filter(patient=patient).active().first()
    highest = TreatmentSession.objects.filter(patient=patient).aggregate(n=Max("session_number"))
    extra = {"appointment": appointment} if appointment is not None else {}
    try:
        with transaction.atomic():
            session = TreatmentSession.objects.create(
                patient=patient,
                clinic=patient.clinic,
                course=course,
                practitioner=by,
                session_number=(highest["n"] or 0) + 1,
                started_at=timezone.now(),
                **extra,
            )
    except IntegrityError:
        existing = draft_for(patient)
        if existing is None:
            raise
        return existing
    record(
        by=by,
        action="session.start",
        target=session,
        patient=patient,
        summary=f"Session {session.session_number} started",
    )
    return session


@transaction.atomic
def chart_session(
    *, patient, by, fields: dict, rows: list[dict], precheck: dict, client_key: str = ""
) -> tuple[TreatmentSession, bool]:
    """Open a session and chart it in one action: fields, pre-check and needling rows, all or
    nothing. Returns (session, created).

    Idempotent per `client_key`: a retry with the same key returns the session it charted, and
    never resets its counts or appends its rows again. Without a key, a patient with a session
    already in progress is refused rather than charted over.
    """
    client_key = (client_key or "").strip()
    if len(client_key) > 80:
        raise ClinicalError("The client key is at most 80 characters.")
    # NO KEY UPDATE: serialises creators for this patient without blocking inserts that merely
    # reference the patient (their deferred foreign-key check takes KEY SHARE at COMMIT).
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
    if client_key:
        existing = TreatmentSession.objects.filter(patient=patient, client_key=client_key).first()
        if existing is not None:
            return existing, False
    if len(rows) > MAX_ROWS:
        raise ClinicalError(f"A session holds at most {MAX_ROWS} needling rows.")
    draft = draft_for(patient)
    if draft is not None:
        raise ClinicalError(
            f"This patient already has a session in progress (session {draft.session_number}). "
            "Finish or sign it before charting another."
        )
    session = start_session(patient=patient, by=by)
    _require_practitioner(by, session)
    TreatmentSession.objects.filter(pk=session.pk).update(client_key=client_key)
    session.client_key = client_key
    update_session(session=session, by=by, fields={**fields, "precheck": precheck})
    for values in rows:
        add_needling_row(session=session, by=by, values=values)
    session.refresh_from_db()
    return session, True


@transaction.atomic
def update_session(*, session, by, fields: dict) -> list[str]:
    """Save pain scores, counts, pre-check, clean technique, aftercare on a draft session."""
    locked = _lock_session(session)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ClinicalError(f"Unknown session fields: {', '.join(sorted(unknown))}")
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    record(
        by=by,
        action="session.update",
        target=locked,
        patient=locked.patient,
        summary="Changed " + (", ".join(changed) or "nothing"),
        details={"fields": changed},
    )
    return changed


def _validate_row(values: dict) -> dict:
    muscle = load_knowledge().muscles.get(values.get("muscle_id", ""))
    if muscle is None:
        raise ClinicalError(f"{values.get('muscle_id')!r} is not a muscle in the knowledge base.")
    clean = {key: values[key] for key in ROW_FIELDS if key in values}
    if muscle.paraspinal and not clean.get("paraspinal_level"):
        clean["paraspinal_level"] = muscle.level
    return clean


@transaction.atomic
def add_needling_row(*, session, by, values: dict) -> NeedlingRow:
    """Append one needled muscle to a draft session."""
    locked = _lock_session(session)
    _require_practitioner(by, locked)
    clean = _validate_row(values)
    _room_for(locked, 1)
    order = (locked.needling_rows.aggregate(o=Max("order"))["o"] or 0) + 1
    row = NeedlingRow.objects.create(session=locked, order=order, **clean)
    record(
        by=by,
        action="session.row.add",
        target=locked,
        patient=locked.patient,
        summary=f"Needled {row.muscle_id} {row.side}",
    )
    return row


@transaction.atomic
def update_needling_row(*, row, by, values: dict) -> NeedlingRow:
    locked = _lock_session(row.session)
    _require_practitioner(by, locked)
    clean = _validate_row({**{k: getattr(row, k) for k in ROW_FIELDS}, **values})
    for key, value in clean.items():
        setattr(row, key, value)
    row.save()
    record(
        by=by,
        action="session.row.update",
        target=locked,
        patient=locked.patient,
        summary=f"Changed row {row.order}",
    )
    return row


@transaction.atomic
def remove_needling_row(*, row, by) -> None:
    locked = _lock_session(row.session)
    row.delete()
    record(
        by=by,
        action="session.row.remove",
        target=locked,
        patient=locked.patient,
        summary=f"Removed {row.muscle_id} {row.side}",
    )


def previous_signed_session(session) -> TreatmentSession | None:
    return (
        TreatmentSession.objects.filter(patient_id=session.patient_id)
        .signed()
        .exclude(pk=session.pk)
        .order_by("-started_at", "-id")
        .first()
    )


@transaction.atomic
def repeat_last_session(*, session, by) -> int:
    """Copy the previous signed session's sites into this draft, in one action: muscles,
    sides, levels and depths only. The needle counts, lot, response and tolerance are today's
    to record, and a depth acknowledgement is a decision for today.
    """
    locked = _lock_session(session)
    _require_practitioner(by, locked)
    previous = previous_signed_session(locked)
    if previous is None:
        raise ClinicalError("There is no earlier signed session to repeat.")
    start = locked.needling_rows.aggregate(o=Max("order"))["o"] or 0
    earlier = list(previous.needling_rows.all())
    _room_for(locked, len(earlier))
    rows = [
        NeedlingRow(
            session=locked,
            order=start + index,
            **{key: getattr(row, key) for key in REPEATED_FIELDS},
        )
        for index, row in enumerate(earlier, start=1)
    ]
    NeedlingRow.objects.bulk_create(rows)
    record(
        by=by,
        action="session.repeat",
        target=locked,
        patient=locked.patient,
        summary=f"Repeated {len(rows)} rows from session {previous.session_number}",
    )
    return len(rows)


@transaction.atomic
def add_adverse_event(*, session, by, fields: dict) -> AdverseEvent:
    """Record an adverse event. Allowed on a signed session too: a late report (e.g. a
    pneumothorax diagnosed the next day) is a new record, not a change to the signed one."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    event = AdverseEvent.objects.create(
        session=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        recorded_by=by,
        kind=fields["kind"],
        severity=fields["severity"],
        action_taken=fields["action_taken"],
        follow_up=fields.get("follow_up", ""),
        occurred_at=fields.get("occurred_at") or timezone.now(),
    )
    record(
        by=by,
        action="adverse_event.record",
        target=event,
        patient=locked.patient,
        summary=f"{event.get_kind_display()} ({event.severity})",
        details={"kind": event.kind, "severity": event.severity, "late": locked.is_signed},
    )
    return event


@write_transaction
def sign_session(*, session, by) -> TreatmentSession:
    """Sign and lock the session, or raise SigningRefused listing every reason."""
    locked = (
        TreatmentSession.objects.select_for_update(of=("self",))  # not the clinic: _lock_session
        .select_related("clinic", "patient")
        .get(pk=session.pk)
    )
    reasons = session_refusals(locked, by=by)
    if reasons:
        raise SigningRefused(reasons)
    # The precautions in force are stored with the signature: the next session and the chart
    # start from them instead of re-reading every signed pre-check.
    precautions = safety.patient_precautions(
        locked.patient, session=locked, today_source=f"session {locked.session_number}"
    )
    TreatmentSession.objects.filter(pk=locked.pk).update(
        signed_at=timezone.now(),
        signed_by=by,
        active_precautions=safety.stored_precautions(precautions),
    )
    locked.refresh_from_db()
    course = CourseOfCare.objects.filter(patient=locked.patient).active().first()
    if course is not None:
        review_course_plan(course, precautions)
    record(
        by=by,
        action="session.sign",
        target=locked,
        patient=locked.patient,
        summary=f"Session {locked.session_number} signed",
        details={"rows": locked.needling_rows.count(), "needles": locked.needles_in},
        signed_content=locked,
    )
    return locked


@transaction.atomic
def add_addendum(*, by, reason: str, body: str, assessment=None, session=None) -> Addendum:
    """Attach a correction to a signed assessment or session (the original stays unchanged)."""
    if (assessment is None) == (session is None):
        raise ClinicalError("An addendum belongs to exactly one assessment or session.")
    target = assessment or session
    model = Assessment if assessment is not None else TreatmentSession
    target = model.objects.select_for_update().get(pk=target.pk)
    if not target.is_signed:
        raise ClinicalError("This record is not signed yet; edit it directly.")
    reason, body = (reason or "").strip(), (body or "").strip()
    if not reason or not body:
        raise ClinicalError("An addendum needs a reason and the correction itself.")
    addendum = Addendum.objects.create(
        assessment=target if assessment is not None else None,
        session=target if session is not None else None,
        author=by,
        reason=reason[:300],
        body=body,
    )
    record(
        by=by,
        action="addendum.add",
        target=addendum,
        patient=target.patient,
        summary=f"Addendum to {type(target).__name__}: {reason[:120]}",
    )
    return addendum
