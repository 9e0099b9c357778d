"""Bookable times offered to patients (public online booking and the portal)."""

import datetime
from dataclasses import dataclass

from imsclinic.accounts.models import Role, User
from imsclinic.scheduling.actions import online_notice
from imsclinic.scheduling.availability import free_slots
from imsclinic.scheduling.models import DURATIONS, Availability, Kind

ONLINE_DAYS_AHEAD = 14
MAX_PER_DAY = 6


@dataclass(frozen=True)
class Slot:
    practitioner: User
    starts_at: datetime.datetime
    clinic_tz: object = None

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.clinic_tz) if self.clinic_tz else self.starts_at
        return f"{local:%a %d %b %H:%M} with {self.practitioner.display_name}"


def bookable_practitioners(clinic, practitioner=None):
    users = User.objects.filter(
        memberships__clinic=clinic,
        memberships__role=Role.PRACTITIONER,
        memberships__is_active=True,
        availabilities__clinic=clinic,
    ).distinct()
    if practitioner is not None:
        users = users.filter(pk=practitioner.pk)
    return list(users.order_by("last_name", "first_name", "pk"))


def online_slots(
    clinic,
    *,
    now,
    kind=Kind.INITIAL_ASSESSMENT,
    practitioner=None,
    patient=None,
    days=ONLINE_DAYS_AHEAD,
    per_day=MAX_PER_DAY,
) -> list[Slot]:
    """Free times over the next `days` local days, one practitioner per time (the first free),
    respecting the clinic's online notice period."""
    not_before = now + online_notice(clinic)
    first_day = not_before.astimezone(clinic.tz).date()
    practitioners = bookable_practitioners(clinic, practitioner)
    if not practitioners or not Availability.objects.filter(clinic=clinic).exists():
        return []
    result = []
    for offset in range(days):
        day = first_day + datetime.timedelta(days=offset)
        by_time = {}
        for user in practitioners:
            for start in free_slots(
                user, clinic, day, DURATIONS[kind], not_before=not_before, patient=patient
            ):
                by_time.setdefault(start, user)
        for start in sorted(by_time)[:per_day]:
            result.append(Slot(by_time[start], start, clinic.tz))
    return result


def online_assessment_slots(clinic, *, now) -> list[Slot]:
    return online_slots(clinic, now=now, kind=Kind.INITIAL_ASSESSMENT)
