"""Who on the waitlist fits a free slot, ranked.

A slot is a practitioner and a start time; how long it stays free is worked out here (to the end
of the practitioner's hours or the next visit, whichever comes first). An open entry fits when:
its practitioner is that one (or any), the slot is inside its date range, on one of its weekdays
and in one of its parts of the day, its service (plus buffer) fits the free time, the patient has
no other visit then, and the assessment-first rule lets the service be booked.

Ranking: "waiting longest" (the default, first come first served) or "best fit" (the service
that leaves the least of the free time unused, then waiting longest).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from imsclinic.scheduling.availability import conflicts, windows_on
from imsclinic.scheduling.models import NEEDS_PRIOR_ASSESSMENT, Appointment, Closure, Status
from imsclinic.scheduling.waitlist.models import WaitlistEntry

RANKINGS = {"waiting": "Waiting longest", "fit": "Best fit"}


def minutes_label(minutes: int) -> str:
    """90 → "1 h 30 min", 480 → "8 h", 45 → "45 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


@dataclass
class FreeSlot:
    practitioner: object
    starts_at: datetime.datetime
    ends_at: datetime.datetime  # when the free time ends

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def length_label(self) -> str:
        return minutes_label(self.minutes)


@dataclass
class Match:
    entry: WaitlistEntry
    unused_minutes: int
    reasons: list[str] = field(default_factory=list)

    def unused_label(self) -> str:
        return minutes_label(self.unused_minutes)


def free_slot(clinic, practitioner, starts_at: datetime.datetime) -> FreeSlot | None:
    """The free time starting at `starts_at` for `practitioner`, or None when that instant is
    not free (passed, closed, outside the hours, or booked)."""
    if starts_at <= timezone.now():
        return None
    day = starts_at.astimezone(clinic.tz).date()
    if Closure.objects.filter(clinic=clinic, date=day).exists():
        return None
    window = next(
        (w for w in windows_on(practitioner, clinic, day) if w.start <= starts_at < w.end), None
    )
    if window is None:
        return None
    busy = (
        conflicts(practitioner, starts_at, window.end)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )
    first = busy.first()
    if first is not None and first <= starts_at:
        return None
    return FreeSlot(practitioner, starts_at, min(window.end, first) if first else window.end)


def _needs_time(entry) -> datetime.timedelta:
    return datetime.timedelta(minutes=entry.service.duration_minutes + entry.service.buffer_minutes)


def matches(clinic, slot: FreeSlot, *, rank: str = "waiting") -> list[Match]:
    """Open entries of `clinic` that could be booked into `slot`, ranked."""
    local = slot.starts_at.astimezone(clinic.tz)
    entries = (
        WaitlistEntry.objects.open()
        .filter(clinic=clinic, service__is_active=True)
        .filter(Q(practitioner__isnull=True) | Q(practitioner=slot.practitioner))
        .select_related("patient", "service", "practitioner")
        .order_by("created_at")
    )
    found = []
    for entry in entries:
        if not entry.accepts(local):
            continue
        needed = _needs_time(entry)
        if slot.starts_at + needed > slot.ends_at:
            continue
        visit_end = slot.starts_at + datetime.timedelta(minutes=entry.service.duration_minutes)
        if (
            Appointment.objects.blocking()
            .overlapping(slot.starts_at, visit_end)
            .filter(patient=entry.patient)
            .exists()
        ):
            continue
        if (
            entry.service.kind in NEEDS_PRIOR_ASSESSMENT
            and not Appointment.objects.has_completed_assessment(entry.patient)
        ):
            continue
        who = entry.practitioner.display_name if entry.practitioner else "Any practitioner"
        reasons = [who, entry.days_label(), entry.parts_label()]
        found.append(
            Match(
                entry=entry,
                unused_minutes=int((slot.ends_at - slot.starts_at - needed).total_seconds() // 60),
                reasons=reasons,
            )
        )
    if rank == "fit":
        found.sort(key=lambda m: (m.unused_minutes, m.entry.created_at))
    return found


def cancelled_slot(appointment) -> FreeSlot | None:
    """The slot a cancelled appointment freed, if it is still free and has not started."""
    if appointment.status != Status.CANCELLED:
        return None
    return free_slot(appointment.clinic, appointment.practitioner, appointment.starts_at)
