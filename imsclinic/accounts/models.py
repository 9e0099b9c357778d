"""Clinics (the tenants), staff and portal users, roles, registrations and needling authorisations."""

import datetime
import functools
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from imsclinic.core.models import PublicIdModel, TimestampedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone, e.g. America/Edmonton.")


class Clinic(PublicIdModel, TimestampedModel):
    """A clinic is a tenant: every patient and clinical record belongs to exactly one clinic.

    `policies` holds clinic-configurable rules by area (screening strictness, course rules,
    cancellation window, reminder lead time, 2FA enforcement). Each area documents its keys and
    defaults next to the code that reads them, so a missing key always means "the default".
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(
        max_length=64, default="America/Edmonton", validators=[validate_time_zone]
    )
    country = models.CharField(max_length=2, default="CA", help_text="ISO 3166-1 alpha-2")
    region = models.CharField(
        max_length=3, help_text="Province or state code, e.g. AB, BC, ON", default="AB"
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    policies = models.JSONField(default=dict, blank=True)
    require_staff_2fa = models.BooleanField(
        default=False, help_text="Staff must complete a TOTP second factor to sign in."
    )
    # The clinic's logo as a PNG re-encoded on upload (clinics.logo), in the default storage.
    logo = models.FileField(upload_to="clinic-logos/", blank=True, max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def jurisdiction(self) -> str:
        """ISO 3166-2 code such as CA-AB, the unit in which needling is regulated."""
        return f"{self.country}-{self.region}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self) -> datetime.datetime:
        return timezone.now().astimezone(self.tz)

    def today(self) -> datetime.date:
        return self.local_now().date()

    def policy(self, key: str, default):
        """A clinic policy value, or the documented default when the clinic has not set one."""
        return self.policies.get(key, default) if isinstance(self.policies, dict) else default


class Role(models.TextChoices):
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    PRACTITIONER = "practitioner", "Practitioner"
    FRONT_DESK = "front_desk", "Front desk"


# Roles that may read clinical notes. Front desk sees demographics and appointments only.
CLINICAL_ROLES = frozenset({Role.CLINIC_ADMIN, Role.PRACTITIONER})


class User(PublicIdModel, AbstractUser):
    """A person who signs in: staff (through memberships) or a patient (through the portal).

    `is_demo_account` marks the well-known demo logins so that production checks can refuse them.
    """

    preferred_language = models.CharField(max_length=8, default="en")
    is_demo_account = models.BooleanField(default=False)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_ci",
                violation_error_message="Another account already uses this email address.",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def _load_memberships(self) -> None:
        """Roles and their clinics in one query, once per user instance (so once per request).

        Plain SQL (each row a Clinic with the role of one active membership there): this runs
        on every signed-in request, and the ORM's join cost five times the query itself.
        """
        roles: dict[int, set[str]] = {}
        clinics: dict[int, Clinic] = {}
        for clinic in Clinic.objects.raw(_active_roles_sql(), [self.pk, True]):
            roles.setdefault(clinic.pk, set()).add(clinic.membership_role)
            clinics.setdefault(clinic.pk, clinic)
        self._roles_by_clinic = roles
        self._staff_clinics = clinics

    def roles_by_clinic(self) -> dict[int, set[str]]:
        """{clinic_id: {role, ...}} for active memberships, cached on the instance."""
        if getattr(self, "_roles_by_clinic", None) is None:
            self._load_memberships()
        return self._roles_by_clinic

    def staff_clinics(self) -> dict[int, "Clinic"]:
        """{clinic_id: Clinic} where the user holds an active role, read with the roles."""
        if getattr(self, "_staff_clinics", None) is None:
            self._load_memberships()
        return self._staff_clinics

    def forget_memberships(self) -> None:
        """Drop the per-instance roles after a membership change made through this instance."""
        self._roles_by_clinic = None
        self._staff_clinics = None

    def has_confirmed_device(self) -> bool:
        """A confirmed TOTP or backup-code device; free when loaded by `backends.signed_in_user`."""
        if hasattr(self, "has_confirmed_totp"):
            return self.has_confirmed_totp or self.has_confirmed_static
        from django_otp import user_has_device

        return user_has_device(self, confirmed=True)

    def roles_at(self, clinic) -> set[str]:
        clinic_id = clinic if isinstance(clinic, int) else clinic.pk
        return self.roles_by_clinic().get(clinic_id, set())

    def has_role(self, clinic, *roles: str) -> bool:
        return bool(self.roles_at(clinic) & set(roles))

    def can_view_clinical(self, clinic) -> bool:
        return bool(self.roles_at(clinic) & CLINICAL_ROLES)

    def staff_clinic_ids(self) -> list[int]:
        return list(self.roles_by_clinic())

    @property
    def is_clinic_staff(self) -> bool:
        return bool(self.roles_by_clinic())

    def current_needling_authorisation(self, *, on: datetime.date, jurisdiction: str | None = None):
        """The authorisation that lets this person needle on `on`, or None."""
        authorisations = self.needling_authorisations.current(on=on)
        if jurisdiction:
            authorisations = authorisations.filter(jurisdiction=jurisdiction)
        return authorisations.order_by("-expires_on").first()


@functools.cache
def _active_roles_sql() -> str:
    """Every clinic where a user holds an active role, once per role, with that role."""
    quote = connection.ops.quote_name
    clinic, membership = Clinic._meta, Membership._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        # Names from the models' own metadata, values as parameters.
        f"SELECT clinic.*, membership.{column(membership, 'role')} AS membership_role "  # noqa: S608
        f"FROM {quote(clinic.db_table)} clinic "
        f"JOIN {quote(membership.db_table)} membership "
        f"ON membership.{column(membership, 'clinic')} = clinic.{quote(clinic.pk.column)} "
        f"WHERE membership.{column(membership, 'user')} = %s "
        f"AND membership.{column(membership, 'is_active')} = %s"
    )


class Membership(TimestampedModel):
    """One role held by one user at one clinic. A user may hold several roles and clinics."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="accounts_membership_unique_role"
            )
        ]
        indexes = [models.Index(fields=["clinic", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.clinic}"


class ProfessionalRegistration(TimestampedModel):
    """A practitioner's registration with their regulator (e.g. Physiotherapy Alberta)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="registrations")
    profession = models.CharField(max_length=80, default="Physiotherapist")
    regulator = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=6, help_text="ISO 3166-2, e.g. CA-AB")
    number = models.CharField(max_length=60)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["regulator", "number"], name="accounts_registration_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.profession}, {self.regulator} #{self.number}"


class NeedlingAuthorisationQuerySet(models.QuerySet):
    def current(self, *, on: datetime.date):
        return self.filter(issued_on__lte=on, expires_on__gte=on, revoked_at__isnull=True)


class NeedlingAuthorisation(TimestampedModel):
    """Permission from a regulator to perform needling (e.g. an Alberta restricted-activity
    authorisation for dry needling, or a BC IMS certification). Needling records are refused from
    anyone without one that is current on the day of the session."""

    class Modality(models.TextChoices):
        IMS = "ims", "IMS (Gunn)"
        DRY_NEEDLING = "dry_needling", "Dry needling"
        BOTH = "both", "IMS and dry needling"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="needling_authorisations")
    jurisdiction = models.CharField(max_length=6, help_text="ISO 3166-2, e.g. CA-AB")
    authority = models.CharField(max_length=200, help_text="Who granted it")
    number = models.CharField(max_length=60)
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.BOTH)
    issued_on = models.DateField()
    expires_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = NeedlingAuthorisationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gte=models.F("issued_on")),
                name="accounts_authorisation_expires_after_issue",
                violation_error_message="An authorisation cannot expire before it was issued.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} · {self.jurisdiction} #{self.number}"

    def is_current(self, on: datetime.date) -> bool:
        return self.revoked_at is None and self.issued_on <= on <= self.expires_on
