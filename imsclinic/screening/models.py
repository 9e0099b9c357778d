"""Evaluation requests: a person's self-screening answers with their contact details, worked by
staff as a queue (new → contacted → booked or declined) and linked to a patient on intake."""

from django.conf import settings
from django.db import models

from imsclinic.core.models import PublicIdModel, TimestampedModel


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    BOOKED = "booked", "Booked"
    DECLINED = "declined", "Declined"


class Outcome(models.TextChoices):
    LIKELY_CANDIDATE = "likely_candidate", "Likely candidate"
    NEEDS_CLEARANCE = "needs_clearance", "Needs clearance"
    NOT_SUITABLE = "not_suitable", "Not suitable"


class Source(models.TextChoices):
    PUBLIC = "public", "Public form"
    ONLINE_BOOKING = "online_booking", "Online booking"
    PORTAL = "portal", "Patient portal intake"


# What people may tick under "What have you tried?" (stored as these keys).
TREATMENTS_TRIED = [
    ("physiotherapy", "Physiotherapy"),
    ("exercise", "An exercise programme"),
    ("massage", "Massage therapy"),
    ("chiropractic", "Chiropractic"),
    ("acupuncture", "Acupuncture or dry needling"),
    ("pain_medication", "Pain medication"),
    ("injections", "Injections (e.g. cortisone)"),
    ("surgery", "Surgery"),
    ("nothing", "Nothing yet"),
]


class EvaluationRequestQuerySet(models.QuerySet):
    def for_clinic(self, clinic):
        return self.filter(clinic=clinic)

    def open(self):
        return self.filter(status__in=[RequestStatus.NEW, RequestStatus.CONTACTED])


class EvaluationRequest(PublicIdModel, TimestampedModel):
    """A self-screening with contact details, waiting for the clinic to follow up.

    `answers` are the engine's cleaned answers (every field, defaults filled in); `outcome` and
    `reasons` are the engine's result under the clinic's policy at the time of the request.
    `pain_regions` holds knowledge body-area ids; `treatments_tried` holds TREATMENTS_TRIED keys.
    """

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="evaluation_requests"
    )
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PUBLIC)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    pain_regions = models.JSONField(default=list, blank=True)
    treatments_tried = models.JSONField(default=list, blank=True)
    treatments_other = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=dict)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reasons = models.JSONField(default=list, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluation_requests",
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_note = models.TextField(blank=True)

    objects = EvaluationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="", phone=""),
                name="screening_request_has_contact",
                violation_error_message="Leave an email address or a phone number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def treatments_tried_labels(self) -> list[str]:
        labels = dict(TREATMENTS_TRIED)
        return [labels.get(key, key) for key in self.treatments_tried or []]


class ClinicPage(TimestampedModel):
    """The text of a clinic's public page that its clinic admin edits: what IMS is and what to
    expect. Absent until the first edit; the page then shows the defaults in front_door.py.
    (Aftercare is the clinic's aftercare instruction from scheduling, edited there.)"""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="public_page"
    )
    about_ims = models.TextField("What IMS is")
    what_to_expect = models.TextField("What to expect")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Public page of clinic {self.clinic_id}"
