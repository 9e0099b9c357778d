"""The patient registry: demographics, contacts, identifiers and the link to a portal account."""

import datetime
import re

from django.conf import settings
from django.db import connections, models

from imsclinic.core.models import PublicIdModel, TimestampedModel


def phone_digits(value: str) -> str:
    """Digits only, without a leading North American country code, for phone search."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def fold(value: str) -> str:
    """Lower-case, accent-insensitive form of a name used for prefix search."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class PatientQuerySet(models.QuerySet):
    def search(self, query: str):
        """Search by name prefix, by date of birth (YYYY-MM-DD) or by phone digits.

        Prefix matches on stored folded names use an index, which keeps search fast in a clinic
        network with 100k patients; "ann smi" matches Ann Smith and Smith, Anne.
        """
        query = (query or "").strip()
        if not query:
            return self
        try:
            born = datetime.date.fromisoformat(query)
        except ValueError:
            born = None
        if born:
            return self.filter(date_of_birth=born)
        digits = phone_digits(query)
        if len(digits) >= 4 and len(digits) >= len(re.sub(r"[\s\-().+]", "", query)):
            # A whole number matches from the start; "555-0199" matches the end of the number.
            return self.filter(
                models.Q(phone_digits__startswith=digits) | models.Q(phone_digits__endswith=digits)
            )
        words = [fold(w) for w in re.split(r"[\s,]+", query) if w]
        result = self
        for word in words:
            result = result.filter(
                self._prefix("family_name_folded", word)
                | self._prefix("given_name_folded", word)
                | self._prefix("preferred_name_folded", word)
            )
        return result

    def _prefix(self, column: str, prefix: str) -> models.Q:
        """`column` starts with `prefix`, in the form the database's indexes can serve.

        PostgreSQL: LIKE 'smi%', served by the varchar_pattern_ops indexes (migration 0002).
        SQLite cannot use an index for LIKE ... ESCAPE, so there it is the equivalent range
        'smi' <= column < 'smj' (SQLite compares text in code-point order), which the
        (clinic, column) indexes serve, one index per OR'ed column.
        """
        if connections[self.db].vendor != "sqlite":
            return models.Q(**{f"{column}__startswith": prefix})
        upper = _next_prefix(prefix)
        if upper is None:
            return models.Q(**{f"{column}__gte": prefix})
        return models.Q(**{f"{column}__gte": prefix, f"{column}__lt": upper})


def _next_prefix(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no bound)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not text; skip to the next character
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


# The languages a clinic records as a patient's preferred one (the registry form offers these).
LANGUAGE_CHOICES = [
    ("en", "English"),
    ("fr", "French"),
    ("zh", "Chinese"),
    ("pa", "Punjabi"),
    ("es", "Spanish"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("other", "Other"),
]


class Patient(PublicIdModel, TimestampedModel):
    """A person receiving care at one clinic. Exposed by UUID only."""

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    chart_number = models.CharField(max_length=20, help_text="Clinic chart number")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    pronouns = models.CharField(max_length=30, blank=True)

    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=3, blank=True, help_text="Province or state code")
    postal_code = models.CharField(max_length=20, blank=True)

    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)

    health_card_number = models.CharField(max_length=40, blank=True)
    health_card_region = models.CharField(max_length=3, blank=True)
    insurer = models.CharField(max_length=120, blank=True)
    insurance_number = models.CharField(max_length=60, blank=True)

    preferred_language = models.CharField(max_length=8, default="en")
    referring_physician = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_record",
    )

    # Duplicate charts (patients/merge.py): the duplicate points at the chart that survived it;
    # the survivor lists the chart numbers merged into it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_charts"
    )
    merged_chart_numbers = models.JSONField(default=list, blank=True)

    # Search keys maintained on save.
    given_name_folded = models.CharField(max_length=100, editable=False, default="")
    family_name_folded = models.CharField(max_length=100, editable=False, default="")
    preferred_name_folded = models.CharField(max_length=100, editable=False, default="")
    phone_digits = models.CharField(max_length=20, editable=False, default="")
    # Bumped by every audited write that concerns the patient (patients/chart_cache.py): the
    # cached chart summary sections are keyed on it.
    chart_version = models.PositiveBigIntegerField(default=0, editable=False)
    # The start of the patient's latest appointment that is not cancelled or a no-show
    # (scheduling/booked.py keeps it current). "An appointment still to come" is
    # `latest_booked_start >= now`, so the clock never makes it stale, only appointment writes:
    # the Today panel's dropout rule reads it instead of searching the appointments.
    latest_booked_start = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "chart_number"], name="patients_unique_chart_number"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name_folded"], name="patient_family_idx"),
            models.Index(fields=["clinic", "given_name_folded"], name="patient_given_idx"),
            models.Index(fields=["clinic", "preferred_name_folded"], name="patient_preferred_idx"),
            models.Index(fields=["clinic", "phone_digits"], name="patient_phone_idx"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_list_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def refresh_search_keys(self) -> None:
        """Recompute the folded search columns (also needed before bulk_create)."""
        self.given_name_folded = fold(self.given_name)
        self.family_name_folded = fold(self.family_name)
        self.preferred_name_folded = fold(self.preferred_name)
        self.phone_digits = phone_digits(self.phone)

    def save(self, *args, **kwargs):
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {
                "given_name_folded",
                "family_name_folded",
                "preferred_name_folded",
                "phone_digits",
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def preferred_language_label(self) -> str:
        """The language's name ("French"); a code outside the list (sent through the API) as
        it was given."""
        return dict(LANGUAGE_CHOICES).get(self.preferred_language, self.preferred_language)

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.given_name} ({self.preferred_name}) {self.family_name}"
        return self.full_name

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class ChartNumberCounter(models.Model):
    """The last chart number a clinic gave out. Registering a patient locks this one row
    (SELECT … FOR UPDATE), so two receptionists never compute the same number and never have to
    retry; numbering a chart costs one row lock instead of a MAX over the clinic's patients."""

    clinic = models.OneToOneField(
        "accounts.Clinic",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Chart numbers of clinic {self.clinic_id}: last {self.last_number}"
