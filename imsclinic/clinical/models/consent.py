"""Informed consent: clinic-editable, versioned text and the patient's recorded consent."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from imsclinic.clinical.consent_rules import signer_problems
from imsclinic.core.models import PublicIdModel

DEFAULT_CONSENT_TITLE = "Consent to IMS and dry needling"
DEFAULT_CONSENT_BODY = """\
Intramuscular stimulation (IMS) and dry needling use fine, sterile, single-use needles inserted \
into muscles to release tight, shortened muscle and reduce pain. Your practitioner has explained \
the treatment, what to expect, and other options, including not being treated.

Material risks. Most reactions are mild and pass within one or two days:
- Bruising or minor bleeding where a needle went in (common).
- Soreness or aching in the treated muscles, usually for 24 to 36 hours (common). Rest from \
strenuous activity for 24 to 48 hours after treatment.
- Tiredness (fatigue) or drowsiness after treatment (uncommon).
- Feeling faint or fainting during or after treatment (uncommon). Tell us at once if you feel \
light-headed.
- Infection at a needle site (rare). Needles are sterile and single-use and the skin is cleaned.
- Nerve or blood-vessel injury, causing numbness, tingling or a larger bruise (rare).
- Pneumothorax (a punctured lung) when needling over the chest wall, upper back, shoulder or neck \
(rare but serious). Seek urgent care for shortness of breath or chest pain after treatment.

Tell your practitioner before each visit if anything has changed: a new medicine (especially a \
blood thinner), pregnancy, a new illness, infection or surgery. You may ask questions at any time, \
and you may stop treatment or withdraw this consent at any time.
"""


class ConsentTextVersion(models.Model):
    """One version of a clinic's consent text. Editing the text makes a new version, so every
    recorded consent keeps pointing at the exact words the patient agreed to.

    `covers_thorax` says that the text names the pneumothorax risk of needling over the thorax;
    only a consent on such a text can cover thorax needling.
    """

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="consent_texts"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, default=DEFAULT_CONSENT_TITLE)
    body = models.TextField()
    covers_thorax = models.BooleanField(
        default=True, help_text="The text names the pneumothorax risk of needling over the thorax."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clinic", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="clinical_consent_text_ver"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="clinical_consent_text_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @classmethod
    def current_for(cls, clinic) -> "ConsentTextVersion | None":
        """The clinic's newest version, or None before the clinic has any."""
        return cls.objects.filter(clinic=clinic).order_by("-version").first()


class ConsentQuerySet(models.QuerySet):
    def active(self):
        """Not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class Consent(PublicIdModel):
    """A patient's informed consent to needling, on one version of the clinic's text.

    Valid for a session while not withdrawn and while its text is still the clinic's current
    version; thorax needling additionally needs `covers_thorax`.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    text_version = models.ForeignKey(
        ConsentTextVersion, on_delete=models.PROTECT, related_name="consents"
    )
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signature_name = models.CharField(
        max_length=200,
        help_text="The full name of the person signing, typed by them as a signature: the "
        "patient, or the substitute decision-maker (e.g. a parent) named with a relationship.",
    )
    signer_relationship = models.CharField(
        max_length=80,
        blank=True,
        help_text="Empty when the patient signed; otherwise the signer's relationship to the "
        "patient (parent, legal guardian, power of attorney, ...).",
    )
    mature_minor_assessment = models.TextField(
        blank=True,
        help_text="The practitioner's documented assessment that a patient under the clinic's "
        "consent age understands the treatment, its risks and options and can consent.",
    )
    signed_at = models.DateTimeField(default=timezone.now)
    covers_thorax = models.BooleanField(
        default=False, help_text="Needling over the thorax and its pneumothorax risk explained."
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                    | models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                ),
                name="clinical_consent_withdrawn_pair",
                violation_error_message="A withdrawal needs both who recorded it and when.",
            ),
            models.CheckConstraint(
                condition=~models.Q(signature_name=""), name="clinical_consent_signature_required"
            ),
        ]

    def __str__(self) -> str:
        return f"Consent v{self.text_version.version} by {self.signature_name}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def signed_by_substitute(self) -> bool:
        return bool(self.signer_relationship)

    def problems(self, *, thorax: bool = False, current_version=None) -> list[str]:
        """Why this consent does not cover needling (empty list: it does).

        The signer rules are checked again here (not only when consent was recorded), so a
        consent recorded before the rules existed, or a patient who is still a minor, cannot
        slip through at signing."""
        reasons = signer_problems(
            patient=self.patient,
            signature_name=self.signature_name,
            signer_relationship=self.signer_relationship,
            mature_minor_assessment=self.mature_minor_assessment,
            on=self.patient.clinic.today(),
        )
        if self.is_withdrawn:
            reasons.append(
                f"Consent was withdrawn on {timezone.localdate(self.withdrawn_at):%Y-%m-%d}."
            )
        if current_version is not None and self.text_version_id != current_version.pk:
            reasons.append(
                f"Consent was given on text version {self.text_version.version}; the clinic's "
                f"consent text is now version {current_version.version}. Record a new consent."
            )
        if thorax and not self.covers_thorax:
            reasons.append(
                "Needling over the thorax was charted, but the patient's consent does not cover "
                "thorax needling (pneumothorax risk). Record a new consent that covers it."
            )
        return reasons


def consent_problems(patient, *, thorax: bool = False) -> list[str]:
    """Why the patient has no valid consent for needling (thorax or not); [] when they have."""
    current_version = ConsentTextVersion.current_for(patient.clinic_id)
    consent = latest_consent(patient)
    if consent is None:
        return ["No informed consent is recorded for this patient. Record consent before needling."]
    return consent.problems(thorax=thorax, current_version=current_version)


def latest_consent(patient) -> Consent | None:
    """The patient's most recent consent (withdrawn or not)."""
    return (
        Consent.objects.filter(patient=patient)
        .select_related("text_version", "explained_by", "patient__clinic")
        .order_by("-signed_at", "-id")
        .first()
    )
