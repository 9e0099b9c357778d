"""Writes to the schedule. Each action is atomic and records exactly one audit event.

Double booking: every booking locks the practitioner's user row (SELECT … FOR NO KEY UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction already serialises writers) and only then looks
for overlapping appointments, so two concurrent requests for one slot cannot both pass the check.
Bookings run in core.db.write_transaction: a deadlock or serialisation failure is retried.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from imsclinic.accounts.models import Role, User
from imsclinic.audit.services import record
from imsclinic.core.db import write_transaction
from imsclinic.patients.models import Patient
from imsclinic.scheduling import availability
from imsclinic.scheduling.errors import BookingError, SeriesConflict, SeriesConflictItem
from imsclinic.scheduling.models import (
    DURATIONS,
    NEEDS_PRIOR_ASSESSMENT,
    TRANSITIONS,
    Appointment,
    AppointmentSeries,
    Availability,
    AvailabilityException,
    BookedVia,
    CalendarFeed,
    Closure,
    InstructionTemplate,
    Kind,
    Mode,
    Service,
    Status,
    cancellation_hours,
    hash_feed_token,
)

SERIES_MIN_COUNT, SERIES_MAX_COUNT = 2, 20
SERIES_MIN_INTERVAL, SERIES_MAX_INTERVAL = 7, 14
# Online (public and portal) bookings need this much notice; policy "online_min_notice_hours".
DEFAULT_ONLINE_NOTICE_HOURS = 12


def online_notice(clinic) -> datetime.timedelta:
    hours = clinic.policy("online_min_notice_hours", DEFAULT_ONLINE_NOTICE_HOURS)
    if not isinstance(hours, int | float) or hours < 0:
        hours = DEFAULT_ONLINE_NOTICE_HOURS
    return datetime.timedelta(hours=hours)


def is_practitioner(user, clinic) -> bool:
    return user.has_role(clinic, Role.PRACTITIONER)


def _lock(practitioner, patient) -> None:
    """Serialise bookings per practitioner and per patient (practitioner first, always: the lock
    order is in docs/performance.md).

    NO KEY UPDATE, not UPDATE: these locks only serialise bookings. A plain FOR UPDATE would also
    block every insert that merely references the row (an appointment booked by, or a session
    charted by, this practitioner takes a KEY SHARE lock on the user row), which is how a booking
    and a session being charted deadlocked with the audit chain's lock under load.
    """
    lock_practitioner(practitioner)
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()


def lock_practitioner(practitioner) -> None:
    """Lock the practitioner's user row until the transaction ends (second in the lock order,
    docs/performance.md). A write that books as one of several steps takes it first."""
    User.objects.select_for_update(no_key=True).filter(pk=practitioner.pk).first()


def _check_rules(*, clinic, patient, practitioner, kind, mode, starts_at, via, now):
    if kind not in Kind.values:
        raise BookingError("Choose an appointment type.", field="kind")
    if mode not in Mode.values:
        raise BookingError("Choose in clinic or video.", field="mode")
    if patient.clinic_id != clinic.pk:
        raise BookingError("This patient belongs to another clinic.", field="patient")
    if not is_practitioner(practitioner, clinic):
        raise BookingError("Only practitioners of this clinic can be booked.", field="practitioner")
    if kind == Kind.IMS_TREATMENT and mode == Mode.VIDEO:
        raise BookingError("Needling cannot happen by video; choose in clinic.", field="mode")
    if via == BookedVia.ONLINE:
        if kind != Kind.INITIAL_ASSESSMENT:
            raise BookingError(
                "Online, new patients can book an initial assessment only. Needling comes "
                "after an assessment.",
                field="kind",
                code="assessment_first",
            )
        # A cancelled visit never happened: its patient is still new (and an online booker
        # moving their visit cancels the old one first, in the same transaction).
        if Appointment.objects.filter(patient=patient).exclude(status=Status.CANCELLED).exists():
            raise BookingError(
                "Online booking is for new patients; please call the clinic.", field="patient"
            )
    if kind in NEEDS_PRIOR_ASSESSMENT and not Appointment.objects.has_completed_assessment(patient):
        raise BookingError(
            "This patient has no completed initial assessment yet. Book an initial assessment "
            "first: needling and follow-ups come only after an assessment.",
            field="kind",
            code="assessment_first",
        )
    if via in (BookedVia.ONLINE, BookedVia.PORTAL):
        if starts_at < now + online_notice(clinic):
            raise BookingError(
                "That time is too soon to book online; please choose a later time.",
                field="starts_at",
            )
    elif starts_at < datetime.datetime.combine(
        now.astimezone(clinic.tz).date(), datetime.time.min, tzinfo=clinic.tz
    ):
        raise BookingError("Appointments cannot be booked in the past.", field="starts_at")


def _slot_problem(
    *, clinic, patient, practitioner, starts_at, ends_at, check_availability, exclude=()
):
    closure = Closure.objects.filter(
        clinic=clinic, date=starts_at.astimezone(clinic.tz).date()
    ).first()
    if closure is not None:
        return f"the clinic is closed ({closure.name})"
    if check_availability and not availability.is_within_availability(
        practitioner, clinic, starts_at, ends_at
    ):
        return "outside the practitioner's hours"
    clash = availability.conflicts(
        practitioner, starts_at, ends_at, patient=patient, exclude_pks=exclude
    ).first()
    if clash is not None:
        if clash.practitioner_id == practitioner.pk:
            return "the practitioner is already booked then"
        return "the patient already has an appointment then"
    return None


def _length(kind, service) -> tuple[int, int]:
    """(minutes, buffer minutes) of a visit: the service's, else the type's default."""
    if service is not None:
        return service.duration_minutes, service.buffer_minutes
    return DURATIONS[kind], 0


def _same_day_override(*, clinic, patient, kind, starts_at, reason, via, exclude=()) -> str:
    """A second IMS treatment on one local day needs staff to give a reason (returned, trimmed);
    call under the patient lock so two bookings cannot both see the day empty."""
    if kind != Kind.IMS_TREATMENT:
        return ""
    day = starts_at.astimezone(clinic.tz).date()
    other = (
        Appointment.objects.for_clinic_day(clinic, day)
        .active()
        .filter(patient=patient, kind=Kind.IMS_TREATMENT)
        .exclude(pk__in=list(exclude))
        .first()
    )
    if other is None:
        return ""
    reason = (reason or "").strip()[:300]
    if via != BookedVia.STAFF:
        raise BookingError(
            "You already have a treatment that day; please call the clinic.",
            field="starts_at",
            code="same_day_needling",
        )
    if not reason:
        raise BookingError(
            f"This patient already has an IMS treatment that day at "
            f"{other.local_start():%H:%M}. A second needling visit on one day needs an override "
            "with a reason.",
            field="same_day_override_reason",
            code="same_day_needling",
        )
    return reason


def _video_room(*, clinic, kind, service) -> str:
    """The link a new video visit gets: its service's video room, else the room of the clinic's
    video service of that kind (online bookers choose "video", not a service); "" when none is
    set, and staff add one on the appointment."""
    if service is not None:
        return service.video_url
    room = (
        Service.objects.filter(clinic=clinic, kind=kind, mode=Mode.VIDEO, is_active=True)
        .exclude(video_url="")
        .order_by("position", "name")
        .values_list("video_url", flat=True)
        .first()
    )
    return room or ""


def _new_appointment(**fields) -> Appointment:
    if fields.get("mode") == Mode.VIDEO and not fields.get("video_url"):
        fields["video_url"] = _video_room(
            clinic=fields["clinic"], kind=fields["kind"], service=fields.get("service")
        )
    appointment = Appointment(**fields)
    appointment.full_clean(exclude=["patient", "clinic", "practitioner", "series", "booked_by"])
    appointment.save()
    return appointment


def _after_commit_confirm(appointment_ids: list[int]) -> None:
    from imsclinic.scheduling.notifications import send_confirmations

    transaction.on_commit(lambda: send_confirmations(appointment_ids))


@write_transaction
def book_appointment(
    *,
    clinic,
    patient,
    practitioner,
    kind: str,
    starts_at: datetime.datetime,
    by,
    mode: str = Mode.IN_CLINIC,
    via: str = BookedVia.STAFF,
    notes: str = "",
    check_availability: bool = True,
    notify: bool = True,
    service=None,
    same_day_override_reason: str = "",
    video_url: str = "",
) -> Appointment:
    """Book one appointment, refusing double bookings (of the practitioner or of the patient),
    the assessment-first rule, closed days and times outside the practitioner's hours. A service
    sets the type, mode, length and the buffer kept free after the visit. A second needling
    visit on one day needs staff to give a reason. Emails a confirmation with an .ics after
    commit."""
    now = timezone.now()
    if service is not None:
        if service.clinic_id != clinic.pk or not service.is_active:
            raise BookingError("Choose one of this clinic's services.", field="service")
        kind, mode = service.kind, service.mode
    if timezone.is_naive(starts_at):
        raise BookingError("A start time needs a time zone.", field="starts_at")
    _check_rules(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        kind=kind,
        mode=mode,
        starts_at=starts_at,
        via=via,
        now=now,
    )
    minutes, buffer = _length(kind, service)
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    _lock(practitioner, patient)
    problem = _slot_problem(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=ends_at + datetime.timedelta(minutes=buffer),
        check_availability=check_availability,
    )
    if problem:
        raise BookingError(f"That time is not free: {problem}.", field="starts_at", code="taken")
    override = _same_day_override(
        clinic=clinic,
        patient=patient,
        kind=kind,
        starts_at=starts_at,
        reason=same_day_override_reason,
        via=via,
    )
    appointment = _new_appointment(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        kind=kind,
        mode=mode,
        starts_at=starts_at,
        ends_at=ends_at,
        booked_via=via,
        booked_by=by,
        notes=notes,
        service=service,
        same_day_override_reason=override,
        video_url=video_url if mode == Mode.VIDEO else "",
    )
    details = {"kind": kind, "via": via}
    if override:
        details["same_day_override"] = override
    record(
        by=by,
        action="appointment.book",
        target=appointment,
        patient=patient,
        clinic=clinic,
        summary=f"Booked {appointment.get_kind_display()} ({via})"
        + (f"; second needling visit that day: {override}" if override else ""),
        details=details,
    )
    if notify:
        _after_commit_confirm([appointment.pk])
    return appointment


def series_starts(clinic, first_start, count, interval_days) -> list[datetime.datetime]:
    """The series' start instants: same local wall-clock time, every `interval_days` days."""
    local = first_start.astimezone(clinic.tz)
    return [
        availability.local_datetime(
            local.date() + datetime.timedelta(days=interval_days * i), local.time(), clinic.tz
        )
        for i in range(count)
    ]


@write_transaction
def book_series(
    *,
    clinic,
    patient,
    practitioner,
    kind: str,
    first_starts_at: datetime.datetime,
    count: int,
    interval_days: int,
    by,
    mode: str = Mode.IN_CLINIC,
    via: str = BookedVia.STAFF,
    notes: str = "",
    notify: bool = True,
    service=None,
    replacements: dict[int, datetime.datetime] | None = None,
) -> AppointmentSeries:
    """Book a course of care in one step. Every date is checked first; if any is not free (taken,
    outside hours, or the clinic is closed that day), SeriesConflict lists each such date with up
    to three free alternatives and nothing is saved. `replacements` ({position: start}) books
    the alternatives the user picked instead of those dates."""
    if service is not None:
        if service.clinic_id != clinic.pk or not service.is_active:
            raise BookingError("Choose one of this clinic's services.", field="service")
        kind, mode = service.kind, service.mode
    if not SERIES_MIN_COUNT <= count <= SERIES_MAX_COUNT:
        raise BookingError(
            f"A series has {SERIES_MIN_COUNT} to {SERIES_MAX_COUNT} appointments.", field="count"
        )
    if not SERIES_MIN_INTERVAL <= interval_days <= SERIES_MAX_INTERVAL:
        raise BookingError(
            "Appointments in a course are 7 to 14 days apart.", field="interval_days"
        )
    now = timezone.now()
    starts = series_starts(clinic, first_starts_at, count, interval_days)
    for index, start in (replacements or {}).items():
        if 0 <= index < count:
            starts[index] = start
    for start in starts[:1]:
        _check_rules(
            clinic=clinic,
            patient=patient,
            practitioner=practitioner,
            kind=kind,
            mode=mode,
            starts_at=start,
            via=via,
            now=now,
        )
    minutes, buffer = _length(kind, service)
    length = datetime.timedelta(minutes=minutes)
    _lock(practitioner, patient)
    problems = _course_problems(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        starts=starts,
        minutes=minutes,
        buffer=buffer,
        now=now,
    )
    if problems:
        raise SeriesConflict(problems)
    series = AppointmentSeries.objects.create(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        kind=kind,
        count=count,
        interval_days=interval_days,
        created_by=by,
    )
    appointments = [
        _new_appointment(
            clinic=clinic,
            patient=patient,
            practitioner=practitioner,
            kind=kind,
            mode=mode,
            starts_at=start,
            ends_at=start + length,
            series=series,
            booked_via=via,
            booked_by=by,
            notes=notes,
            service=service,
        )
        for start in starts
    ]
    record(
        by=by,
        action="appointment.book_series",
        target=series,
        patient=patient,
        clinic=clinic,
        summary=f"Booked {series}",
        details={"kind": kind, "count": count, "interval_days": interval_days},
    )
    if notify:
        _after_commit_confirm([a.pk for a in appointments])
    return series


def _course_problems(
    *, clinic, patient, practitioner, starts, minutes, buffer, now, exclude=()
) -> list[SeriesConflictItem]:
    """Each start of a course that cannot be booked, with the nearest free times (the next
    open day's when the clinic is closed). Two dates of one course may not overlap either."""
    problems = []
    total = datetime.timedelta(minutes=minutes + buffer)
    for index, start in enumerate(starts):
        problem = _slot_problem(
            clinic=clinic,
            patient=patient,
            practitioner=practitioner,
            starts_at=start,
            ends_at=start + total,
            check_availability=True,
            exclude=exclude,
        )
        if problem is None and any(
            other < start + total and start < other + total for other in starts[:index]
        ):
            problem = "it overlaps another visit of this course"
        if problem:
            alternatives = [
                alt
                for alt in availability.alternatives_near(
                    practitioner,
                    clinic,
                    start,
                    minutes + buffer,
                    patient=patient,
                    not_before=now,
                    exclude_pks=exclude,
                )
                if alt not in starts
            ]
            problems.append(SeriesConflictItem(index, start, problem, alternatives))
    return problems


def _local_shift(clinic, old_first, new_first, old_start) -> datetime.datetime:
    """Where `old_start` lands when a course moves from `old_first` to `new_first`: the same
    number of days after the new first visit, at the new first visit's wall-clock time."""
    tz = clinic.tz
    days = old_start.astimezone(tz).date() - old_first.astimezone(tz).date()
    new_local = new_first.astimezone(tz)
    return availability.local_datetime(new_local.date() + days, new_local.time(), tz)


@write_transaction
def reschedule(
    *,
    appointment: Appointment,
    starts_at: datetime.datetime,
    by,
    whole_course: bool = False,
    practitioner=None,
    replacements: dict[int, datetime.datetime] | None = None,
    reason: str = "",
    notify: bool = True,
) -> list[Appointment]:
    """Move one appointment, or it and every later booked visit of its course, in one step.

    Each moved visit becomes a new appointment linked to the one it replaces
    (`rescheduled_from`), which is cancelled with the reason "Rescheduled"; the new one keeps
    the calendar UID with a higher SEQUENCE, so the patient's calendar app updates the event.
    Every new time is checked first (hours, closures, the practitioner's and the patient's other
    visits, ignoring the visits being moved); if any is not free, SeriesConflict lists them with
    alternatives and nothing changes. Returns the new appointments in order.
    """
    if timezone.is_naive(starts_at):
        raise BookingError("A start time needs a time zone.", field="starts_at")
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "practitioner", "service")
        .get(pk=appointment.pk)
    )
    clinic, patient = locked.clinic, locked.patient
    if locked.status != Status.BOOKED:
        raise BookingError(
            f"An appointment that is {locked.get_status_display().lower()} cannot be moved."
        )
    now = timezone.now()
    if starts_at < now:
        raise BookingError("Choose a time that has not passed.", field="starts_at")
    practitioner = practitioner or locked.practitioner
    if not is_practitioner(practitioner, clinic):
        raise BookingError("Only practitioners of this clinic can be booked.", field="practitioner")
    moving = [locked]
    if whole_course and locked.series_id:
        moving += list(
            Appointment.objects.select_for_update(of=("self",))
            .filter(
                series_id=locked.series_id,
                status=Status.BOOKED,
                starts_at__gt=locked.starts_at,
            )
            .order_by("starts_at")
        )
    starts = [_local_shift(clinic, locked.starts_at, starts_at, a.starts_at) for a in moving]
    for index, start in (replacements or {}).items():
        if 0 <= index < len(starts):
            starts[index] = start
    minutes, buffer = (
        (locked.duration_minutes, locked.service.buffer_minutes)
        if locked.service
        else (locked.duration_minutes, 0)
    )
    _lock(practitioner, patient)
    exclude = [a.pk for a in moving]
    problems = _course_problems(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        starts=starts,
        minutes=minutes,
        buffer=buffer,
        now=now,
        exclude=exclude,
    )
    if problems:
        raise SeriesConflict(problems)
    moved = []
    for old, start in zip(moving, starts, strict=True):
        old.status = Status.CANCELLED
        old.cancelled_at = now
        old.status_changed_at = now
        old.cancel_reason = f"Rescheduled. {reason}".strip()[:300]
        old.save(
            update_fields=[
                "status",
                "cancelled_at",
                "status_changed_at",
                "cancel_reason",
                "updated_at",
            ]
        )
        moved.append(
            _new_appointment(
                clinic=clinic,
                patient=patient,
                practitioner=practitioner,
                kind=old.kind,
                mode=old.mode,
                service=old.service,
                starts_at=start,
                ends_at=start + (old.ends_at - old.starts_at),
                series=old.series,
                booked_via=BookedVia.STAFF,
                booked_by=by,
                notes=old.notes,
                rescheduled_from=old,
                calendar_uid=old.calendar_uid or old.uuid,
                calendar_sequence=old.calendar_sequence + 1,
                same_day_override_reason=old.same_day_override_reason,
                video_url=old.video_url,
            )
        )
    tz = clinic.tz
    record(
        by=by,
        action="appointment.reschedule",
        target=moved[0],
        patient=patient,
        clinic=clinic,
        summary=f"Moved {len(moved)} visit(s): "
        + "; ".join(
            f"{o.starts_at.astimezone(tz):%Y-%m-%d %H:%M} → {n.starts_at.astimezone(tz):%Y-%m-%d %H:%M}"
            for o, n in zip(moving, moved, strict=True)
        ),
        details={
            "count": len(moved),
            "from": [str(o.uuid) for o in moving],
            "to": [str(n.uuid) for n in moved],
            "reason": reason,
        },
    )
    if notify:
        from imsclinic.scheduling.notifications import send_reschedule_notices

        ids = [a.pk for a in moved]
        transaction.on_commit(lambda: send_reschedule_notices(ids))
    return moved


def _may_manage_closures(user, clinic) -> None:
    if not user.has_role(clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK):
        raise PermissionDenied("Only the clinic admin or the front desk can change closures.")


@transaction.atomic
def add_closure(*, clinic, date, name: str, by, source: str = Closure.Source.CLINIC) -> Closure:
    """Close the clinic for a day. Booked visits that day are listed to staff, not cancelled."""
    _may_manage_closures(by, clinic)
    name = (name or "").strip()[:120]
    if not name:
        raise BookingError("Give the closure a name, e.g. Staff training.", field="name")
    if Closure.objects.filter(clinic=clinic, date=date).exists():
        raise BookingError("The clinic is already closed that day.", field="date")
    row = Closure.objects.create(clinic=clinic, date=date, name=name, source=source, created_by=by)
    record(by=by, action="closure.add", target=row, clinic=clinic, summary=f"Closed: {row}")
    return row


@transaction.atomic
def add_statutory_holidays(*, clinic, years: list[int], by) -> list[Closure]:
    """Close the clinic on its province's statutory holidays in `years` (days already closed
    are left as they are). One audit event lists the days added."""
    from imsclinic.scheduling.closures import statutory_holidays

    _may_manage_closures(by, clinic)
    existing = set(Closure.objects.filter(clinic=clinic).values_list("date", flat=True))
    added = [
        Closure.objects.create(
            clinic=clinic, date=day, name=name[:120], source=Closure.Source.HOLIDAY, created_by=by
        )
        for day, name in statutory_holidays(clinic, years)
        if day not in existing
    ]
    record(
        by=by,
        action="closure.holidays",
        clinic=clinic,
        summary=f"Added {len(added)} statutory holiday(s) for {clinic.jurisdiction} "
        f"({', '.join(str(y) for y in years)})",
        details={"dates": [c.date.isoformat() for c in added]},
    )
    return added


@transaction.atomic
def remove_closure(*, closure: Closure, by) -> None:
    _may_manage_closures(by, closure.clinic_id)
    summary = f"Reopened: {closure}"
    clinic = closure.clinic
    closure.delete()
    record(by=by, action="closure.remove", clinic=clinic, summary=summary)


@transaction.atomic
def set_status(*, appointment: Appointment, status: str, by) -> Appointment:
    """Move an appointment along booked → arrived → in session → completed (or no-show)."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if status == Status.CANCELLED:
        raise BookingError("Use cancel to cancel an appointment.", field="status")
    if status not in TRANSITIONS.get(locked.status, frozenset()):
        raise BookingError(
            f"An appointment that is {locked.get_status_display().lower()} cannot become "
            f"{Status(status).label.lower() if status in Status.values else status}.",
            field="status",
        )
    previous = locked.status
    locked.status = status
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    record(
        by=by,
        action="appointment.status",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic_id,
        summary=f"{previous} → {status}",
        details={"from": previous, "to": status},
    )
    appointment.status = locked.status
    appointment.status_changed_at = locked.status_changed_at
    return locked


@transaction.atomic
def set_video_link(*, appointment: Appointment, video_url: str, by, notify: bool = True):
    """Give a booked video visit its link (https only), or replace it. The patient is emailed
    the link after commit, with the updated .ics (its LOCATION and URL)."""
    from django.core.exceptions import ValidationError

    from imsclinic.scheduling.models import validate_video_link

    locked = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if locked.mode != Mode.VIDEO:
        raise BookingError("Only a video visit has a video link.", field="video_url")
    if locked.status != Status.BOOKED:
        raise BookingError(
            f"This visit is {locked.get_status_display().lower()}: its link cannot change.",
            field="video_url",
        )
    video_url = (video_url or "").strip()
    if not video_url:
        raise BookingError("Give the video link as an https:// address.", field="video_url")
    try:
        validate_video_link(video_url)
    except ValidationError as exc:
        raise BookingError(" ".join(exc.messages), field="video_url") from exc
    if len(video_url) > 500:
        raise BookingError("That link is too long (500 characters at most).", field="video_url")
    replaced = bool(locked.video_url)
    locked.video_url = video_url
    locked.calendar_sequence += 1  # the patient's calendar app replaces the event
    locked.save(update_fields=["video_url", "calendar_sequence", "updated_at"])
    record(
        by=by,
        action="appointment.video_link",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic_id,
        summary="Replaced the video link" if replaced else "Added the video link",
        details={"replaced": replaced},
    )
    if notify:
        from imsclinic.scheduling.notifications import send_video_link

        transaction.on_commit(lambda: send_video_link(locked.pk))
    appointment.video_url = locked.video_url
    appointment.calendar_sequence = locked.calendar_sequence
    return locked


@transaction.atomic
def cancel_appointment(
    *, appointment: Appointment, by, reason: str = "", via: str = BookedVia.STAFF
) -> Appointment:
    """Cancel a booked (or arrived) appointment. Patients in the portal may cancel only up to
    the clinic's cancellation window before the start (policy `cancellation_hours`, default 24)."""
    # of=self: with select_related, a bare FOR UPDATE would lock the clinic row too and block
    # every insert at the clinic (see _lock).
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .get(pk=appointment.pk)
    )
    now = timezone.now()
    if locked.status not in (Status.BOOKED, Status.ARRIVED):
        raise BookingError(
            f"An appointment that is {locked.get_status_display().lower()} cannot be cancelled."
        )
    if via == BookedVia.PORTAL and not locked.can_be_cancelled_by_patient(now):
        hours = cancellation_hours(locked.clinic)
        raise BookingError(
            f"Appointments can be cancelled online up to {hours:g} hours before they start. "
            "Please call the clinic."
        )
    locked.status = Status.CANCELLED
    locked.cancelled_at = now
    locked.status_changed_at = now
    locked.cancel_reason = (reason or "").strip()[:300]
    locked.save(
        update_fields=["status", "cancelled_at", "status_changed_at", "cancel_reason", "updated_at"]
    )
    record(
        by=by,
        action="appointment.cancel",
        target=locked,
        patient=locked.patient,
        clinic=locked.clinic,
        summary=f"Cancelled ({via})",
        details={"via": via},
    )
    return locked


@transaction.atomic
def add_availability(
    *, practitioner, clinic, weekday, start_time, end_time, valid_from, valid_until=None, by
) -> Availability:
    """Add weekly hours; refuses hours that overlap existing hours on the same weekday."""
    if not is_practitioner(practitioner, clinic):
        raise BookingError("Only practitioners have bookable hours.", field="practitioner")
    if end_time <= start_time:
        raise BookingError("Hours must end after they start.", field="end_time")
    if valid_until is not None and valid_until < valid_from:
        raise BookingError("'Until' must be on or after 'from'.", field="valid_until")
    User.objects.select_for_update(no_key=True).filter(pk=practitioner.pk).first()
    overlapping = Availability.objects.filter(
        practitioner=practitioner,
        clinic=clinic,
        weekday=weekday,
        start_time__lt=end_time,
        end_time__gt=start_time,
    ).exclude(valid_until__lt=valid_from)
    if valid_until is not None:
        overlapping = overlapping.exclude(valid_from__gt=valid_until)
    if overlapping.exists():
        raise BookingError(
            "These hours overlap hours already set for that day.", field="start_time"
        )
    row = Availability.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    record(
        by=by,
        action="availability.add",
        target=row,
        clinic=clinic,
        summary=f"Hours for {practitioner.username}: {row}",
    )
    return row


@transaction.atomic
def remove_availability(*, availability_row: Availability, by) -> None:
    summary = f"Removed hours for {availability_row.practitioner.username}: {availability_row}"
    clinic = availability_row.clinic
    availability_row.delete()
    record(by=by, action="availability.remove", clinic=clinic, summary=summary)


@transaction.atomic
def add_exception(
    *, practitioner, clinic, date, is_available, start_time=None, end_time=None, reason="", by
) -> AvailabilityException:
    """Time off (whole day or a window) or extra hours on one date."""
    if (start_time is None) != (end_time is None):
        raise BookingError("Give both a start and an end time, or neither.", field="start_time")
    if start_time is not None and end_time <= start_time:
        raise BookingError("The end must be after the start.", field="end_time")
    if is_available and start_time is None:
        raise BookingError("Extra hours need a start and an end time.", field="start_time")
    row = AvailabilityException.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        date=date,
        is_available=is_available,
        start_time=start_time,
        end_time=end_time,
        reason=reason,
    )
    record(
        by=by,
        action="availability.exception",
        target=row,
        clinic=clinic,
        summary=f"{row} for {practitioner.username}",
    )
    return row


@transaction.atomic
def remove_exception(*, exception_row: AvailabilityException, by) -> None:
    summary = f"Removed {exception_row} for {exception_row.practitioner.username}"
    clinic = exception_row.clinic
    exception_row.delete()
    record(by=by, action="availability.exception_remove", clinic=clinic, summary=summary)


@transaction.atomic
def rotate_feed(*, practitioner, clinic, by) -> str:
    """Create or replace the practitioner's secret feed token; returns the new token (shown once).
    The old URL stops working immediately."""
    token = CalendarFeed.new_token()
    CalendarFeed.objects.update_or_create(
        practitioner=practitioner,
        clinic=clinic,
        defaults={"token_hash": hash_feed_token(token), "last_used_at": None},
    )
    record(
        by=by,
        action="calendar_feed.rotate",
        clinic=clinic,
        summary=f"New calendar feed link for {practitioner.username}",
    )
    return token


@transaction.atomic
def end_feeds(*, practitioner, by, reason: str) -> int:
    """Delete every calendar feed link of `practitioner` (deactivated, or password changed):
    a link that outlives its owner's account would keep publishing the schedule."""
    count, _ = CalendarFeed.objects.filter(practitioner=practitioner).delete()
    if count:
        record(
            by=by,
            action="calendar_feed.end",
            summary=f"Ended {count} calendar feed link(s) of {practitioner.username}: {reason}",
            details={"count": count, "reason": reason},
        )
    return count


@transaction.atomic
def save_instruction(*, clinic, kind: str, body: str, by) -> InstructionTemplate:
    """Replace the clinic's before-visit or aftercare text."""
    body = (body or "").strip()
    if not body:
        raise BookingError("The instructions cannot be empty.", field="body")
    row, _ = InstructionTemplate.objects.update_or_create(
        clinic=clinic, kind=kind, defaults={"body": body, "updated_by": by}
    )
    record(
        by=by,
        action="instructions.save",
        target=row,
        clinic=clinic,
        summary=f"Edited {row.get_kind_display().lower()} instructions",
    )
    return row
