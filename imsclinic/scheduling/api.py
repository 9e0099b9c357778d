"""JSON API routes for the scheduling area, mounted under /api/v1/scheduling by imsclinic.api.

Same rules as the UI: staff only, clinic-scoped (another clinic's appointment is a 404), the same
actions (assessment-first, availability, no double booking). A refused booking is a 409 with a
`code` ("taken", "assessment_first", "series_conflict" with per-date alternatives) or a 422 for
malformed input.
"""

import datetime
import uuid

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError, ValidationError

from imsclinic.accounts.models import Clinic, Role, User
from imsclinic.core.validation import ApiDate, ApiDateTime
from imsclinic.gateway.api_auth import api_auth, require_scope, require_staff
from imsclinic.gateway.records import api_loads, load
from imsclinic.patients.models import Patient
from imsclinic.scheduling import actions
from imsclinic.scheduling.availability import free_slots
from imsclinic.scheduling.errors import BookingError, SeriesConflict
from imsclinic.scheduling.models import DURATIONS, Appointment, Closure, Kind, Mode, Notification
from imsclinic.scheduling.models import Status as ApptStatus
from imsclinic.scheduling.notifications import scheduled_reminders

router = Router(tags=["scheduling"], auth=api_auth)


class AppointmentPublic(Schema):
    uuid: uuid.UUID
    patient: uuid.UUID
    practitioner: uuid.UUID
    kind: str
    mode: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    series: uuid.UUID | None = None
    booked_via: str
    notes: str
    video_url: str = ""

    @staticmethod
    def from_appointment(a: Appointment) -> dict:
        return {
            "uuid": a.uuid,
            "patient": a.patient.uuid,
            "practitioner": a.practitioner.uuid,
            "kind": a.kind,
            "mode": a.mode,
            "status": a.status,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "series": a.series.uuid if a.series_id else None,
            "booked_via": a.booked_via,
            "notes": a.notes,
            "video_url": a.video_url,
        }


class AppointmentCreate(Schema):
    patient: uuid.UUID
    practitioner: uuid.UUID
    kind: Kind
    mode: Mode = Mode.IN_CLINIC
    starts_at: ApiDateTime
    notes: str = ""
    count: int = 1
    interval_days: int = 7


class StatusChange(Schema):
    status: ApptStatus


class CancelRequest(Schema):
    reason: str = ""


class RescheduleRequest(Schema):
    starts_at: ApiDateTime
    whole_course: bool = False
    practitioner: uuid.UUID | None = None
    reason: str = ""
    # {position in the course: new start}; positions are whole numbers, which a JSON object can
    # only carry as digit strings: the schema says so, so clients (and schemathesis) send digits.
    replacements: dict[int, ApiDateTime] = Field(
        default_factory=dict, json_schema_extra={"propertyNames": {"pattern": "^[0-9]{1,4}$"}}
    )


class ClosurePublic(Schema):
    uuid: uuid.UUID
    date: datetime.date
    name: str
    source: str

    @staticmethod
    def from_closure(c: Closure) -> dict:
        return {"uuid": c.uuid, "date": c.date, "name": c.name, "source": c.source}


class ClosureCreate(Schema):
    date: ApiDate
    name: str


class HolidaysRequest(Schema):
    year: int


class NotificationPublic(Schema):
    kind: str
    channel: str
    state: str
    recipient: str
    lead_hours: int | None = None
    sent_at: datetime.datetime | None = None
    created_at: datetime.datetime | None = None
    scheduled_for: datetime.datetime | None = None


class BookingRefusal(Schema):
    code: str
    detail: str
    conflicts: list[dict] = []


def _clinic(request) -> Clinic:
    token = getattr(request, "api_token", None)
    if token is not None and getattr(token, "clinic_id", None):
        return token.clinic
    clinic = getattr(request, "clinic", None)
    if clinic is not None:
        return clinic
    ids = request.user.staff_clinic_ids()
    return Clinic.objects.get(pk=min(ids))


APPOINTMENT_RELATED = ("patient", "practitioner", "series", "clinic")


def _load(request, appointment_uuid, *, what: str):
    return load(request, Appointment, appointment_uuid, what=what, select=APPOINTMENT_RELATED)


def _reloaded(appointment):
    """The same appointment after a write, already authorised and logged by `_load`."""
    return Appointment.objects.select_related(*APPOINTMENT_RELATED).get(pk=appointment.pk)


def _refusal(exc: BookingError):
    conflicts = []
    if isinstance(exc, SeriesConflict):
        conflicts = [
            {
                "index": item.index,
                "starts_at": item.starts_at.isoformat(),
                "reason": item.reason,
                "alternatives": [alt.isoformat() for alt in item.alternatives],
            }
            for item in exc.items
        ]
    if exc.code in ("taken", "series_conflict", "assessment_first", "refused"):
        return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": conflicts})
    raise HttpError(422, exc.message)


@router.get("/appointments", response=list[AppointmentPublic])
def list_appointments(
    request,
    date: ApiDate | None = None,
    practitioner: uuid.UUID | None = None,
    patient: uuid.UUID | None = None,
):
    """A clinic day's appointments (default today, clinic time), optionally per practitioner or
    patient. Cancelled appointments are included with status "cancelled"."""
    require_staff(request)
    require_scope(request, "read")
    clinic = _clinic(request)
    qs = Appointment.objects.select_related("patient", "practitioner", "series")
    if patient:
        qs = qs.filter(
            patient=load(request, Patient, patient, what="api.appointments", select=("clinic",))
        )
        if date:
            qs = qs.for_clinic_day(clinic, date)
    else:
        qs = qs.for_clinic_day(clinic, date or clinic.today())
    if practitioner:
        qs = qs.filter(practitioner__uuid=practitioner)
    return [AppointmentPublic.from_appointment(a) for a in qs.order_by("starts_at")[:500]]


@router.get("/appointments/{uuid:appointment_uuid}", response=AppointmentPublic)
@api_loads(
    "appointment",
    Appointment,
    "api.appointment",
    path_param="appointment_uuid",
    select=("patient", "practitioner", "series", "clinic"),
)
def get_appointment(request, appointment):
    return AppointmentPublic.from_appointment(appointment)


@router.post(
    "/appointments", response={201: list[AppointmentPublic], 409: BookingRefusal, 422: dict}
)
def create_appointment(request, payload: AppointmentCreate):
    """Book one appointment, or a course when `count` > 1 (every `interval_days`, 7–14)."""
    require_staff(request)
    require_scope(request, "write")
    clinic = _clinic(request)
    patient = load(request, Patient, payload.patient, what="api.appointments.create")
    if patient.clinic_id != clinic.pk:
        raise HttpError(404, "Not found")
    practitioner = get_object_or_404(User, uuid=payload.practitioner)
    if payload.starts_at.tzinfo is None:
        raise ValidationError(
            [{"loc": ["body", "starts_at"], "msg": "include a UTC offset", "type": "value_error"}]
        )
    try:
        if payload.count > 1:
            series = actions.book_series(
                clinic=clinic,
                patient=patient,
                practitioner=practitioner,
                kind=payload.kind,
                mode=payload.mode,
                first_starts_at=payload.starts_at,
                count=payload.count,
                interval_days=payload.interval_days,
                notes=payload.notes,
                by=request.user,
            )
            booked = list(series.appointments.select_related("patient", "practitioner", "series"))
        else:
            booked = [
                actions.book_appointment(
                    clinic=clinic,
                    patient=patient,
                    practitioner=practitioner,
                    kind=payload.kind,
                    mode=payload.mode,
                    starts_at=payload.starts_at,
                    notes=payload.notes,
                    by=request.user,
                )
            ]
    except BookingError as exc:
        return _refusal(exc)
    return Status(201, [AppointmentPublic.from_appointment(a) for a in booked])


@router.post(
    "/appointments/{uuid:appointment_uuid}/status",
    response={200: AppointmentPublic, 409: BookingRefusal},
)
def change_status(request, appointment_uuid: uuid.UUID, payload: StatusChange):
    require_staff(request)
    require_scope(request, "write")
    appointment = _load(request, appointment_uuid, what="api.appointment.status")
    try:
        if payload.status == ApptStatus.CANCELLED:
            actions.cancel_appointment(appointment=appointment, by=request.user)
        else:
            actions.set_status(appointment=appointment, status=payload.status, by=request.user)
    except BookingError as exc:
        return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": []})
    return AppointmentPublic.from_appointment(_reloaded(appointment))


@router.post(
    "/appointments/{uuid:appointment_uuid}/cancel",
    response={200: AppointmentPublic, 409: BookingRefusal},
)
def cancel(request, appointment_uuid: uuid.UUID, payload: CancelRequest):
    require_staff(request)
    require_scope(request, "write")
    appointment = _load(request, appointment_uuid, what="api.appointment.cancel")
    try:
        actions.cancel_appointment(appointment=appointment, reason=payload.reason, by=request.user)
    except BookingError as exc:
        return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": []})
    return AppointmentPublic.from_appointment(_reloaded(appointment))


class VideoLinkRequest(Schema):
    # Printable ASCII, not `\S`: JSON Schema clients (ECMA regex) and pydantic (Rust regex)
    # disagree on what `\s` holds (U+0085, U+FEFF), so `\S` let a client send a link the server
    # then refused. Meeting links are ASCII; an international domain goes in its xn-- form.
    video_url: str = Field(
        ...,
        min_length=1,
        max_length=500,
        pattern=r"^https://[!-~]+$",
        description="An https link in ASCII (an international domain in its xn-- form).",
    )


@router.post(
    "/appointments/{uuid:appointment_uuid}/video-link",
    response={200: AppointmentPublic, 409: BookingRefusal},
)
def set_video_link(request, appointment_uuid: uuid.UUID, payload: VideoLinkRequest):
    """Give a booked video visit its link (https only) or replace it; the patient is emailed the
    link with an updated .ics. A visit in clinic, or one no longer booked, is a 409."""
    require_staff(request)
    require_scope(request, "write")
    appointment = _load(request, appointment_uuid, what="api.appointment.video_link")
    try:
        actions.set_video_link(
            appointment=appointment, video_url=payload.video_url, by=request.user
        )
    except BookingError as exc:
        return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": []})
    return AppointmentPublic.from_appointment(_reloaded(appointment))


@router.post(
    "/appointments/{uuid:appointment_uuid}/reschedule",
    response={200: list[AppointmentPublic], 409: BookingRefusal, 422: dict},
)
def reschedule(request, appointment_uuid: uuid.UUID, payload: RescheduleRequest):
    """Move an appointment, or it and the rest of its course (`whole_course`), to `starts_at`.
    The old appointments are cancelled and linked from the new ones; the patient is emailed an
    updated .ics. A taken or closed time is a 409 `series_conflict` listing alternatives; send
    them back as `replacements` ({position: start}) to book those instead."""
    require_staff(request)
    require_scope(request, "write")
    appointment = _load(request, appointment_uuid, what="api.appointment.reschedule")
    for value in [payload.starts_at, *payload.replacements.values()]:
        if value.tzinfo is None:
            raise ValidationError(
                [
                    {
                        "loc": ["body", "starts_at"],
                        "msg": "include a UTC offset",
                        "type": "value_error",
                    }
                ]
            )
    practitioner = None
    if payload.practitioner:
        practitioner = get_object_or_404(User, uuid=payload.practitioner)
    try:
        moved = actions.reschedule(
            appointment=appointment,
            starts_at=payload.starts_at,
            whole_course=payload.whole_course,
            practitioner=practitioner,
            replacements=dict(payload.replacements),
            reason=payload.reason[:200],
            by=request.user,
        )
    except BookingError as exc:
        return _refusal(exc)
    return [AppointmentPublic.from_appointment(_reloaded(a)) for a in moved]


@router.get(
    "/appointments/{uuid:appointment_uuid}/notifications", response=list[NotificationPublic]
)
def notifications(request, appointment_uuid: uuid.UUID):
    """The appointment's outbox: the messages sent or attempted, oldest first (`channel` email
    or sms, `state` sent, failed (retried by the next run), no_email, no_phone), then the
    reminders still to go (`state` scheduled, `scheduled_for` when), one per channel and
    `lead_hours` (the clinic's reminder lead times)."""
    require_staff(request)
    require_scope(request, "read")
    appointment = _load(request, appointment_uuid, what="api.appointment.notifications")
    sent = [
        {
            "kind": n.kind,
            "channel": n.channel,
            "state": n.outcome,
            "recipient": n.recipient,
            "lead_hours": n.lead_hours,
            "sent_at": n.sent_at,
            "created_at": n.created_at,
        }
        for n in appointment.notifications.order_by("created_at")
    ]
    scheduled = [
        {
            "kind": Notification.Kind.REMINDER.value,
            "channel": row["channel"],
            "state": "scheduled",
            "recipient": row["to"],
            "lead_hours": row["lead_hours"],
            "scheduled_for": row["at"],
        }
        for row in scheduled_reminders(appointment, now=timezone.now())
    ]
    return sent + scheduled


@router.get("/closures", response=list[ClosurePublic])
def list_closures(request, start: ApiDate | None = None, end: ApiDate | None = None):
    """Days the clinic is closed (statutory holidays and clinic closures), from `start` (default
    today, clinic time) to `end` (default a year later)."""
    require_staff(request)
    require_scope(request, "read")
    clinic = _clinic(request)
    first = start or clinic.today()
    last = end or first + datetime.timedelta(days=366)
    rows = Closure.objects.filter(clinic=clinic, date__range=(first, last))
    return [ClosurePublic.from_closure(c) for c in rows[:1000]]


def _closure_write(request):
    require_staff(request)
    require_scope(request, "write")
    clinic = _clinic(request)
    if not request.user.has_role(clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK):
        raise HttpError(403, "Only the clinic admin or the front desk can change closures.")
    return clinic


@router.post("/closures", response={201: ClosurePublic, 409: BookingRefusal})
def create_closure(request, payload: ClosureCreate):
    """Close the clinic for a day (nobody can be booked on it)."""
    clinic = _closure_write(request)
    try:
        row = actions.add_closure(
            clinic=clinic, date=payload.date, name=payload.name, by=request.user
        )
    except BookingError as exc:
        return Status(409, {"code": exc.code, "detail": exc.message, "conflicts": []})
    return Status(201, ClosurePublic.from_closure(row))


@router.post("/closures/holidays", response={201: list[ClosurePublic], 422: dict})
def add_holidays(request, payload: HolidaysRequest):
    """Close the clinic on its province's statutory holidays of `year` (days already closed are
    left as they are); returns the days added."""
    clinic = _closure_write(request)
    if not 2000 <= payload.year <= 2100:
        raise HttpError(422, "Give a year from 2000 to 2100.")
    added = actions.add_statutory_holidays(clinic=clinic, years=[payload.year], by=request.user)
    return Status(201, [ClosurePublic.from_closure(c) for c in added])


@router.get("/closures/{uuid:closure_uuid}", response=ClosurePublic)
def get_closure(request, closure_uuid: uuid.UUID):
    require_staff(request)
    require_scope(request, "read")
    return ClosurePublic.from_closure(load(request, Closure, closure_uuid, what="api.closures"))


@router.delete("/closures/{uuid:closure_uuid}", response={204: None})
def delete_closure(request, closure_uuid: uuid.UUID):
    """Open the clinic again on a closed day."""
    require_staff(request)
    require_scope(request, "write")
    row = load(
        request,
        Closure,
        closure_uuid,
        what="api.closures",
        roles=(Role.CLINIC_ADMIN, Role.FRONT_DESK),
    )
    actions.remove_closure(closure=row, by=request.user)
    return Status(204, None)


def _refuse_get(request, appointment_uuid: uuid.UUID):
    """GET on a POST-only appointment route: authenticate (401) and load through the clinic
    scope (another clinic's appointment is a 404) before answering 405."""
    require_staff(request)
    _load(request, appointment_uuid, what="api.appointment")
    return HttpResponseNotAllowed(["POST"])


for _action in ("status", "cancel", "reschedule", "video-link"):
    router.get(f"/appointments/{{uuid:appointment_uuid}}/{_action}", include_in_schema=False)(
        _refuse_get
    )


@router.get("/slots", response=list[datetime.datetime])
def slots(
    request,
    practitioner: uuid.UUID,
    date: ApiDate,
    kind: Kind = Kind.IMS_TREATMENT,
):
    """Free start times (aware, clinic time) for a practitioner on a clinic-local date."""
    require_staff(request)
    require_scope(request, "read")
    clinic = _clinic(request)
    person = get_object_or_404(
        User, uuid=practitioner, memberships__clinic=clinic, memberships__is_active=True
    )
    return free_slots(person, clinic, date, DURATIONS[kind])
