"""Waitlist rows. Imported by scheduling.models, so they belong to the scheduling app.

A WaitlistEntry is one patient waiting for an earlier visit of one service, with one
practitioner or any, on preferred weekdays and parts of the day, within a date range.
A WaitlistOffer is one freed slot offered to one or several entries (OfferRecipient each, with
its own signed link); the first acceptance books the slot and closes the offer.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from imsclinic.core.models import PublicIdModel, TimestampedModel

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ALL_DAYS = 0b1111111


class DayPart(models.IntegerChoices):
    """Parts of the day a patient can come, as bits (a patient may tick several)."""

    MORNING = 1, "Mornings (before 12:00)"
    AFTERNOON = 2, "Afternoons (12:00–17:00)"
    EVENING = 4, "Evenings (from 17:00)"


ALL_PARTS = 0b111
# Where each part of the day starts and ends, clinic-local wall clock.
NOON, EVENING_FROM = datetime.time(12, 0), datetime.time(17, 0)


def day_part_of(at: datetime.time) -> int:
    if at < NOON:
        return DayPart.MORNING
    if at < EVENING_FROM:
        return DayPart.AFTERNOON
    return DayPart.EVENING


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a time"
    BOOKED = "booked", "Booked"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


OPEN_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)


class WaitlistEntryQuerySet(models.QuerySet):
    def open(self):
        """Still waiting (an offer out does not stop staff booking them elsewhere)."""
        return self.filter(status__in=OPEN_STATUSES)


class WaitlistEntry(PublicIdModel, TimestampedModel):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    service = models.ForeignKey(
        "scheduling.Service", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: any practitioner of the clinic.",
    )
    days = models.PositiveSmallIntegerField(
        default=ALL_DAYS, help_text="Weekdays the patient can come, one bit each (Monday = 1)."
    )
    day_parts = models.PositiveSmallIntegerField(
        default=ALL_PARTS, help_text="Mornings = 1, afternoons = 2, evenings = 4."
    )
    earliest_date = models.DateField()
    latest_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entries",
        help_text="The visit booked from the waitlist.",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=ALL_DAYS), name="scheduling_waitlist_days_bits"
            ),
            models.CheckConstraint(
                condition=Q(day_parts__gte=1, day_parts__lte=ALL_PARTS),
                name="scheduling_waitlist_day_parts_bits",
            ),
            models.CheckConstraint(
                condition=Q(latest_date__isnull=True)
                | Q(latest_date__gte=models.F("earliest_date")),
                name="scheduling_waitlist_range_ordered",
            ),
            # Open entries have no closing time; closed ones do.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, closed_at__isnull=True)
                | (~Q(status__in=OPEN_STATUSES) & Q(closed_at__isnull=False)),
                name="scheduling_waitlist_closed_paired",
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.BOOKED) | Q(appointment__isnull=False),
                name="scheduling_waitlist_booked_has_appointment",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Waitlist: {self.service} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def day_names(self) -> list[str]:
        return [name for i, name in enumerate(WEEKDAY_NAMES) if self.days & (1 << i)]

    def days_label(self) -> str:
        if self.days == ALL_DAYS:
            return "Any day"
        if self.days == 0b0011111:
            return "Weekdays"
        return ", ".join(name[:3] for name in self.day_names())

    def parts_label(self) -> str:
        if self.day_parts == ALL_PARTS:
            return "Any time"
        return ", ".join(
            label.split(" (")[0] for value, label in DayPart.choices if self.day_parts & value
        )

    def range_label(self) -> str:
        if self.latest_date:
            return f"{self.earliest_date:%-d %b} – {self.latest_date:%-d %b %Y}"
        return f"From {self.earliest_date:%-d %b %Y}"

    def accepts(self, local_start: datetime.datetime) -> bool:
        """Does a visit starting at `local_start` (clinic time) suit the patient's days, parts
        of the day and date range?"""
        day = local_start.date()
        if day < self.earliest_date or (self.latest_date and day > self.latest_date):
            return False
        if not self.days & (1 << day.weekday()):
            return False
        return bool(self.day_parts & day_part_of(local_start.time()))


class OfferStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    TAKEN = "taken", "Taken"
    EXPIRED = "expired", "Expired"


class WaitlistOffer(PublicIdModel, TimestampedModel):
    """A freed slot offered to waiters. The first acceptance books it; the offer row is locked
    while accepting, so two acceptances are served one after the other."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The visit booked by the first acceptance.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "practitioner", "starts_at"])]

    def __str__(self) -> str:
        return f"Offer of {self.starts_at:%Y-%m-%d %H:%M}"

    def is_open(self, now: datetime.datetime) -> bool:
        return self.status == OfferStatus.OPEN and now < self.expires_at and now < self.starts_at


class RecipientOutcome(models.TextChoices):
    SENT = "sent", "Offer sent"
    ACCEPTED = "accepted", "Accepted: booked"
    TOO_LATE = "too_late", "Answered after the time was taken"


class OfferRecipient(PublicIdModel, TimestampedModel):
    """One waiter an offer went to, with what was sent and what they answered."""

    offer = models.ForeignKey(WaitlistOffer, on_delete=models.CASCADE, related_name="recipients")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    outcome = models.CharField(
        max_length=10, choices=RecipientOutcome.choices, default=RecipientOutcome.SENT
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=20, blank=True)
    sms_state = models.CharField(max_length=20, blank=True)

    STATE_LABELS = {
        "": "Not sent",
        "sending": "Sending",
        "sent": "Sent",
        "failed": "Failed",
        "no_email": "No email address",
        "no_phone": "No phone number",
    }

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "entry"], name="scheduling_offer_once_each"),
            models.CheckConstraint(
                condition=Q(outcome=RecipientOutcome.SENT, answered_at__isnull=True)
                | (~Q(outcome=RecipientOutcome.SENT) & Q(answered_at__isnull=False)),
                name="scheduling_offer_answer_paired",
            ),
        ]

    def email_label(self) -> str:
        return self.STATE_LABELS.get(self.email_state, "Unknown")

    def sms_label(self) -> str:
        return self.STATE_LABELS.get(self.sms_state, "Unknown")
