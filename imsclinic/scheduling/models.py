"""Scheduling: practitioners' availability, appointments, courses booked as a series, reminders,
per-practitioner calendar feeds and the clinic-editable visit instructions.

All datetimes are stored as aware UTC datetimes; availability is expressed in the clinic's local
wall-clock time (weekday + start/end time) and converted with zoneinfo, so that a 09:00 slot stays
09:00 across daylight-saving changes.
"""

import datetime
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Q

from imsclinic.core.models import PublicIdModel, TimestampedModel


class Kind(models.TextChoices):
    INITIAL_ASSESSMENT = "initial_assessment", "Initial assessment"
    IMS_TREATMENT = "ims_treatment", "IMS treatment"
    FOLLOW_UP_ASSESSMENT = "follow_up_assessment", "Follow-up assessment"


# Default length of each kind, in minutes (docs/scheduling.md).
DURATIONS = {
    Kind.INITIAL_ASSESSMENT: 60,
    Kind.IMS_TREATMENT: 30,
    Kind.FOLLOW_UP_ASSESSMENT: 45,
}
# Needling and follow-ups come only after a completed initial assessment.
NEEDS_PRIOR_ASSESSMENT = frozenset({Kind.IMS_TREATMENT, Kind.FOLLOW_UP_ASSESSMENT})


class Mode(models.TextChoices):
    IN_CLINIC = "in_clinic", "In clinic"
    VIDEO = "video", "Video"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    IN_SESSION = "in_session", "In session"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Allowed status changes (cancel has its own action because it carries a reason).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.BOOKED: frozenset({Status.ARRIVED, Status.IN_SESSION, Status.NO_SHOW}),
    Status.ARRIVED: frozenset({Status.IN_SESSION, Status.BOOKED, Status.NO_SHOW}),
    Status.IN_SESSION: frozenset({Status.COMPLETED, Status.ARRIVED}),
    Status.COMPLETED: frozenset({Status.IN_SESSION}),
    Status.NO_SHOW: frozenset({Status.BOOKED}),
    Status.CANCELLED: frozenset(),
}

# The changes that step back: the status pages show them only behind an explicit "Undo" that asks
# for confirmation, so one stray tap cannot reopen a completed visit.
REVERTS: frozenset[tuple[str, str]] = frozenset(
    {
        (Status.ARRIVED, Status.BOOKED),
        (Status.IN_SESSION, Status.ARRIVED),
        (Status.COMPLETED, Status.IN_SESSION),
        (Status.NO_SHOW, Status.BOOKED),
    }
)


class BookedVia(models.TextChoices):
    STAFF = "staff", "Staff"
    ONLINE = "online", "Online (public)"
    PORTAL = "portal", "Patient portal"
    WAITLIST = "waitlist", "Waitlist offer"


HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #2f6f8f.")


def validate_video_link(value: str) -> None:
    """A video visit's link: a web address starting with https:// (the patient opens it)."""
    URLValidator(schemes=["https"], message="Give the video link as an https:// address.")(value)


VIDEO_LINK_HELP = "The https:// address the patient opens for a video visit."


class Service(PublicIdModel, TimestampedModel):
    """An appointment type a clinic offers: its length, the gap kept after it, its calendar
    colour, whether the public can book it online, and its list price (billing reads the price;
    per-payer fee schedules override it there).

    `kind` ties the service to the care pathway's rules (assessment first, needling visits), so a
    clinic may name and price its services freely without weakening those rules.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_CLINIC)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(120)], help_text="Time kept free after the visit."
    )
    colour = models.CharField(max_length=7, default="#2f6f8f", validators=[HEX_COLOUR])
    bookable_online = models.BooleanField(default=False)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="CAD", help_text="ISO 4217 code")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists and pickers.")
    video_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[validate_video_link],
        help_text="For video services: the clinic's video room, given to each booking "
        "(an appointment can have its own link instead).",
    )

    class Meta:
        ordering = ["clinic", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="scheduling_service_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="scheduling_service_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="scheduling_service_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.video_url and self.mode != Mode.VIDEO:
            raise ValidationError({"video_url": "Only a video service has a video link."})


# The services a new clinic starts with (docs/scheduling.md); the clinic admin edits them.
DEFAULT_SERVICES = [
    # name, kind, mode, minutes, buffer, colour, online, price
    (
        "Initial IMS assessment",
        Kind.INITIAL_ASSESSMENT,
        Mode.IN_CLINIC,
        60,
        0,
        "#2f6f8f",
        True,
        Decimal("140.00"),
    ),
    (
        "IMS treatment",
        Kind.IMS_TREATMENT,
        Mode.IN_CLINIC,
        30,
        0,
        "#3c8d5a",
        False,
        Decimal("95.00"),
    ),
    (
        "Follow-up assessment",
        Kind.FOLLOW_UP_ASSESSMENT,
        Mode.IN_CLINIC,
        45,
        0,
        "#8a5a9e",
        False,
        Decimal("110.00"),
    ),
    (
        "Telemedicine evaluation",
        Kind.INITIAL_ASSESSMENT,
        Mode.VIDEO,
        30,
        0,
        "#b0752b",
        True,
        Decimal("75.00"),
    ),
]


def create_default_services(clinic) -> list[Service]:
    """Give `clinic` the default services it has not got yet (idempotent by name)."""
    created = []
    for position, (name, kind, mode, minutes, buffer, colour, online, price) in enumerate(
        DEFAULT_SERVICES
    ):
        service, _ = Service.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "kind": kind,
                "mode": mode,
                "duration_minutes": minutes,
                "buffer_minutes": buffer,
                "colour": colour,
                "bookable_online": online,
                "price": price,
                "position": position,
            },
        )
        created.append(service)
    return created


class Availability(PublicIdModel, TimestampedModel):
    """A practitioner's recurring weekly hours at one clinic, in clinic-local time."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availabilities"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="availabilities"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="scheduling_availability_end_after_start",
                violation_error_message="Hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="scheduling_availability_weekday_range",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "clinic", "weekday"])]

    def __str__(self) -> str:
        day = WEEKDAYS[self.weekday]
        return f"{day} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def applies_on(self, day: datetime.date) -> bool:
        return (
            day.weekday() == self.weekday
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class AvailabilityException(PublicIdModel, TimestampedModel):
    """A one-day change to the weekly hours: time off (is_available=False) or extra hours.

    Without start/end times, time off covers the whole day.
    """

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    is_available = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | (
                    Q(start_time__isnull=False)
                    & Q(end_time__isnull=False)
                    & Q(end_time__gt=models.F("start_time"))
                ),
                name="scheduling_exception_times_paired",
                violation_error_message="Give both a start and an end time, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(is_available=False) | Q(start_time__isnull=False),
                name="scheduling_exception_extra_hours_have_times",
                violation_error_message="Extra hours need a start and an end time.",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "clinic", "date"])]

    def __str__(self) -> str:
        what = "Extra hours" if self.is_available else "Time off"
        times = f" {self.start_time:%H:%M}–{self.end_time:%H:%M}" if self.start_time else ""
        return f"{what} {self.date}{times}"


class AppointmentSeries(PublicIdModel, TimestampedModel):
    """A course of care booked in one step: `count` appointments `interval_days` apart."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="appointment_series"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    count = models.PositiveSmallIntegerField()
    interval_days = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.count}, every {self.interval_days} days"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        """Not cancelled (a no-show still happened in the calendar)."""
        return self.exclude(status=Status.CANCELLED)

    def blocking(self):
        """Appointments that occupy their time: everything except cancelled ones."""
        return self.active()

    def overlapping(self, start: datetime.datetime, end: datetime.datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def for_clinic_day(self, clinic, day: datetime.date):
        """Appointments starting on `day` in the clinic's own time zone."""
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=clinic.tz)
        end = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=clinic.tz
        )
        return self.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)

    def upcoming(self, now: datetime.datetime):
        return self.active().filter(starts_at__gte=now).exclude(status=Status.NO_SHOW)

    def has_completed_assessment(self, patient) -> bool:
        """The assessment-first rule: `patient` has been assessed.

        A completed initial-assessment appointment is proof; so is evidence contributed by other
        areas (ASSESSMENT_EVIDENCE), such as a signed clinical assessment charted without an
        appointment. Clinical registers its check from its AppConfig.ready(): clinical already
        depends on scheduling (a session points at its appointment), so scheduling cannot import
        clinical back.
        """
        if self.filter(
            patient=patient, kind=Kind.INITIAL_ASSESSMENT, status=Status.COMPLETED
        ).exists():
            return True
        return any(evidence(patient) for evidence in ASSESSMENT_EVIDENCE)


# Functions (patient) -> bool registered by areas that can prove an assessment took place.
ASSESSMENT_EVIDENCE: list = []


class Appointment(PublicIdModel, TimestampedModel):
    """One booked visit of one patient with one practitioner."""

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="The service booked; its price is what billing charges by default.",
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_CLINIC)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    series = models.ForeignKey(
        AppointmentSeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    booked_via = models.CharField(max_length=10, choices=BookedVia.choices, default=BookedVia.STAFF)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    rescheduled_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescheduled_to",
        help_text="The appointment this one replaced when it was moved.",
    )
    # The patient's calendar app knows the visit by one UID across reschedules; each change
    # raises the SEQUENCE so the app replaces the old event (RFC 5546).
    calendar_uid = models.UUIDField(null=True, blank=True)
    calendar_sequence = models.PositiveIntegerField(default=0)
    same_day_override_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why staff booked a second needling visit on one day.",
    )
    video_url = models.URLField(
        max_length=500, blank=True, validators=[validate_video_link], help_text=VIDEO_LINK_HELP
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="scheduling_appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="scheduling_appointment_cancelled_paired",
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"]),
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_video(self) -> bool:
        return self.mode == Mode.VIDEO

    @property
    def is_needling(self) -> bool:
        return self.kind == Kind.IMS_TREATMENT

    def local_start(self) -> datetime.datetime:
        return self.starts_at.astimezone(self.clinic.tz)

    def local_end(self) -> datetime.datetime:
        return self.ends_at.astimezone(self.clinic.tz)

    def allowed_statuses(self) -> list[str]:
        return sorted(TRANSITIONS.get(self.status, frozenset()))

    def forward_statuses(self) -> list[tuple[str, str]]:
        """(value, label) of the next steps, in the order of the visit."""
        allowed = TRANSITIONS.get(self.status, frozenset())
        return [
            (s.value, s.label) for s in Status if s in allowed and (self.status, s) not in REVERTS
        ]

    def revert_status(self) -> tuple[str, str] | None:
        """(value, label) of the step back, if there is one."""
        for current, previous in REVERTS:
            if current == self.status:
                return previous.value, previous.label
        return None

    def can_be_cancelled_by_patient(self, now: datetime.datetime) -> bool:
        """Within the clinic's cancellation window (policy `cancellation_hours`, default 24)."""
        if self.status != Status.BOOKED:
            return False
        hours = cancellation_hours(self.clinic)
        return self.starts_at - now >= datetime.timedelta(hours=hours)


class Closure(PublicIdModel, TimestampedModel):
    """A day the whole clinic is closed: a statutory holiday or a closure the clinic sets.

    Nobody can be booked on it; a course booked across it is offered the next free time.
    """

    class Source(models.TextChoices):
        HOLIDAY = "holiday", "Statutory holiday"
        CLINIC = "clinic", "Clinic closure"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    name = models.CharField(max_length=120)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLINIC)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="scheduling_one_closure_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%-d %B %Y})"


def cancellation_hours(clinic) -> float:
    value = clinic.policy("cancellation_hours", 24)
    return float(value) if isinstance(value, int | float) and value >= 0 else 24.0


DEFAULT_REMINDER_LEAD_HOURS = (24,)


def reminder_lead_hours(clinic) -> list[int]:
    """The clinic's reminder lead times in hours, longest first (policy `reminder_lead_hours`, a
    list validated by clinics.policies on save; [24] when the clinic never set it). A stored value
    of another shape is an error, never silently replaced."""
    value = clinic.policy("reminder_lead_hours", list(DEFAULT_REMINDER_LEAD_HOURS))
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in value)
    ):
        raise ValueError(
            f"{clinic.name}: the reminder lead times must be a list of hours, e.g. [48, 2]; "
            f"stored: {value!r}. Save the clinic settings to correct it."
        )
    return sorted(set(value), reverse=True)


class Notification(TimestampedModel):
    """A message sent (or attempted) about an appointment: the appointment's outbox. One reminder
    per appointment, channel and lead time (unique), which makes the reminder run idempotent."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        REMINDER = "reminder", "Reminder"
        CANCELLATION = "cancellation", "Cancellation"
        RESCHEDULE = "reschedule", "Moved"
        VIDEO_LINK = "video_link", "Video link"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    outcome = models.CharField(max_length=30, default="sent")
    lead_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a reminder: how many hours before the visit."
    )

    OUTCOME_LABELS = {
        "sent": "Sent",
        "sending": "Sending",
        "failed": "Failed (will retry)",
        "no_email": "Not sent: no email address",
        "no_phone": "Not sent: no phone number",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "channel", "lead_hours"],
                condition=Q(kind="reminder"),
                name="scheduling_one_reminder_per_channel_and_lead",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reminder") | Q(lead_hours__isnull=False),
                name="scheduling_reminder_has_lead_hours",
            ),
        ]

    def outcome_label(self) -> str:
        return self.OUTCOME_LABELS.get(self.outcome, "Unknown")


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(TimestampedModel):
    """A practitioner's secret iCalendar feed URL. Only a hash of the token is stored."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "clinic"], name="scheduling_one_feed_per_practitioner"
            )
        ]

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class InstructionTemplate(TimestampedModel):
    """Clinic-editable patient instructions: before a visit and aftercare after needling."""

    class Kind(models.TextChoices):
        BEFORE_VISIT = "before_visit", "Before your visit"
        AFTERCARE = "aftercare", "Aftercare"

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="instruction_templates"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind"], name="scheduling_one_instruction_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.clinic}"


# The waitlist's rows live in their own module (scheduling/waitlist) and register here.
from imsclinic.scheduling.waitlist.models import (  # noqa: E402, F401
    OfferRecipient,
    WaitlistEntry,
    WaitlistOffer,
)
