"""The waitlist through the JSON API, mounted at /api/v1/scheduling/waitlist.

The same actions as the pages: staff only, clinic-scoped (another clinic's entry is a 404), one
audit event per write. A refusal by a rule (a duplicate entry, a closed entry, a taken time, the
patient rules of a booking) is a 409 with a `code` and a `detail` in words; malformed input 422.
"""

import datetime
import uuid
from typing import Annotated, Literal

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.pagination import paginate

from imsclinic.core.api_pagination import BoundedPagination
from imsclinic.core.validation import ApiDate, ApiDateTime
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import api_loads, load
from imsclinic.patients.models import Patient
from imsclinic.scheduling.api import AppointmentPublic, BookingRefusal, _clinic
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Appointment, Service
from imsclinic.scheduling.views import clinic_practitioners
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.matching import free_slot, matches
from imsclinic.scheduling.waitlist.models import (
    OPEN_STATUSES,
    DayPart,
    WaitlistEntry,
)

router = Router(tags=["waitlist"], auth=api_auth)

PART_NAMES = {
    DayPart.MORNING: "morning",
    DayPart.AFTERNOON: "afternoon",
    DayPart.EVENING: "evening",
}
PART_BITS = {name: bit for bit, name in PART_NAMES.items()}
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
PartName = Literal["morning", "afternoon", "evening"]
ENTRY_RELATED = ("patient", "service", "practitioner", "clinic", "appointment")


class EntryPublic(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID
    service: uuid.UUID
    practitioner: uuid.UUID | None = None
    days: list[int]
    day_parts: list[str]
    earliest_date: datetime.date
    latest_date: datetime.date | None = None
    notes: str
    status: str
    appointment: uuid.UUID | None = None
    created_at: datetime.datetime

    @staticmethod
    def of(e: WaitlistEntry) -> dict:
        return {
            "uuid": e.uuid,
            "patient": e.patient.uuid,
            "service": e.service.uuid,
            "practitioner": e.practitioner.uuid if e.practitioner_id else None,
            "days": [i for i in range(7) if e.days & (1 << i)],
            "day_parts": [name for bit, name in PART_NAMES.items() if e.day_parts & bit],
            "earliest_date": e.earliest_date,
            "latest_date": e.latest_date,
            "notes": e.notes,
            "status": e.status,
            "appointment": e.appointment.uuid if e.appointment_id else None,
            "created_at": e.created_at,
        }


class EntryCreate(Schema):
    patient: uuid.UUID
    service: uuid.UUID
    practitioner: uuid.UUID | None = Field(None, description="Empty: any practitioner.")
    days: list[Weekday] = Field([0, 1, 2, 3, 4], min_length=1, max_length=7)
    day_parts: list[PartName] = Field(
        ["morning", "afternoon", "evening"], min_length=1, max_length=3
    )
    earliest_date: ApiDate | None = Field(None, description="Default: today (clinic time).")
    latest_date: ApiDate | None = None
    notes: str = Field("", max_length=1000)


class WithdrawRequest(Schema):
    reason: str = Field("", max_length=300)


class BookRequest(Schema):
    starts_at: ApiDateTime
    practitioner: uuid.UUID | None = Field(
        None, description="Default: the practitioner the patient waits for (required if any)."
    )
    same_day_override_reason: str = Field("", max_length=300)


class MatchPublic(Schema):
    entry: EntryPublic
    patient_name: str
    unused_minutes: int


class MatchesPublic(Schema):
    free: bool
    free_until: datetime.datetime | None = None
    matches: list[MatchPublic]


def _offset_required(value: datetime.datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValidationError(
            [{"loc": ["body", name], "msg": "include a UTC offset", "type": "value_error"}]
        )


def _practitioner(request, clinic, wanted: uuid.UUID | None):
    if wanted is None:
        return None
    found = clinic_practitioners(clinic).filter(uuid=wanted).first()
    if found is None:
        raise HttpError(404, "No such practitioner at this clinic.")
    return found


def _conflict(exc: BookingError):
    return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": []})


@router.get("", response=list[EntryPublic])
@paginate(BoundedPagination)
def list_entries(
    request,
    status: Literal["open", "waiting", "offered", "booked", "withdrawn", "expired", "all"] = "open",
    service: uuid.UUID | None = None,
    practitioner: uuid.UUID | None = None,
):
    """The clinic's waitlist, longest waiting first: `open` (default) is waiting or offered."""
    require_staff(request)
    require_scope(request, "read")
    clinic = _clinic(request)
    entries = WaitlistEntry.objects.filter(clinic=clinic).select_related(*ENTRY_RELATED)
    if status == "open":
        entries = entries.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        entries = entries.filter(status=status)
    if service:
        entries = entries.filter(service__uuid=service)
    if practitioner:
        entries = entries.filter(practitioner__uuid=practitioner)
    return [EntryPublic.of(e) for e in entries.order_by("created_at", "id")]


@router.post("", response={201: EntryPublic, 409: BookingRefusal, 422: dict})
def create_entry(request, payload: EntryCreate):
    """Put a patient on the waitlist for an earlier visit of a service."""
    require_staff(request)
    require_scope(request, "write")
    clinic = _clinic(request)
    patient = load(request, Patient, payload.patient, what="api.waitlist.create")
    if patient.clinic_id != clinic.pk:
        raise HttpError(404, "Not found")
    service = get_object_or_404(Service, uuid=payload.service, clinic=clinic)
    try:
        entry = actions.add_entry(
            clinic=clinic,
            patient=patient,
            by=request.user,
            service=service,
            practitioner=_practitioner(request, clinic, payload.practitioner),
            days=sum(1 << d for d in set(payload.days)),
            day_parts=sum(PART_BITS[p] for p in set(payload.day_parts)),
            earliest_date=payload.earliest_date or clinic.today(),
            latest_date=payload.latest_date,
            notes=payload.notes,
        )
    except BookingError as exc:
        return _conflict(exc)
    return Status(201, EntryPublic.of(entry))


@router.get("/matches", response=MatchesPublic)
def list_matches(
    request,
    practitioner: uuid.UUID,
    starts_at: ApiDateTime,
    rank: Literal["waiting", "fit"] = "waiting",
):
    """Who on the waitlist fits the free time starting at `starts_at` (with a UTC offset) with
    `practitioner`: ranked by waiting longest, or by best fit (least time left unused)."""
    require_staff(request)
    require_scope(request, "read")
    clinic = _clinic(request)
    if starts_at.tzinfo is None:
        raise HttpError(422, "starts_at needs a UTC offset.")
    person = _practitioner(request, clinic, practitioner)
    slot = free_slot(clinic, person, starts_at)
    if slot is None:
        return {"free": False, "free_until": None, "matches": []}
    return {
        "free": True,
        "free_until": slot.ends_at,
        "matches": [
            {
                "entry": EntryPublic.of(m.entry),
                "patient_name": m.entry.patient.full_name,
                "unused_minutes": m.unused_minutes,
            }
            for m in matches(clinic, slot, rank=rank)
        ],
    }


@router.get("/{uuid:entry_uuid}", response=EntryPublic)
@api_loads(
    "entry", WaitlistEntry, "api.waitlist.entry", path_param="entry_uuid", select=ENTRY_RELATED
)
def get_entry(request, entry):
    return EntryPublic.of(entry)


def _load(request, entry_uuid, what):
    require_staff(request)
    require_scope(request, "write")
    return load(request, WaitlistEntry, entry_uuid, what=what, select=ENTRY_RELATED)


@router.post("/{uuid:entry_uuid}/withdraw", response={200: EntryPublic, 409: BookingRefusal})
def withdraw(request, entry_uuid: uuid.UUID, payload: WithdrawRequest):
    """Take the patient off the waitlist."""
    entry = _load(request, entry_uuid, "api.waitlist.withdraw")
    try:
        entry = actions.withdraw_entry(entry=entry, by=request.user, reason=payload.reason)
    except BookingError as exc:
        return _conflict(exc)
    return EntryPublic.of(entry)


@router.post(
    "/{uuid:entry_uuid}/book", response={201: AppointmentPublic, 409: BookingRefusal, 422: dict}
)
def book(request, entry_uuid: uuid.UUID, payload: BookRequest):
    """Book the waiting patient at `starts_at` through the booking rules (no overlapping
    visits, the same-day needling rule, closures, hours); the entry becomes booked."""
    entry = _load(request, entry_uuid, "api.waitlist.book")
    _offset_required(payload.starts_at, "starts_at")
    practitioner = _practitioner(request, entry.clinic, payload.practitioner) or entry.practitioner
    if practitioner is None:
        raise HttpError(422, "Say which practitioner: the patient waits for any.")
    try:
        appointment = actions.book_from_waitlist(
            entry=entry,
            practitioner=practitioner,
            starts_at=payload.starts_at,
            by=request.user,
            same_day_override_reason=payload.same_day_override_reason,
        )
    except BookingError as exc:
        return _conflict(exc)
    appointment = Appointment.objects.select_related("patient", "practitioner", "series").get(
        pk=appointment.pk
    )
    return Status(201, AppointmentPublic.from_appointment(appointment))


def _refuse_get(request, entry_uuid: uuid.UUID):
    """GET on a POST-only entry route: authenticate (401) and load through the clinic scope
    (another clinic's entry is a 404) before answering 405."""
    require_staff(request)
    load(request, WaitlistEntry, entry_uuid, what="api.waitlist.entry")
    return HttpResponseNotAllowed(["POST"])


for _action in ("withdraw", "book"):
    router.get(f"/{{uuid:entry_uuid}}/{_action}", include_in_schema=False)(_refuse_get)
