"""Consent actions: publish a new consent text version, record consent, withdraw it."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.consent_rules import signer_problems
from imsclinic.clinical.models import (
    DEFAULT_CONSENT_BODY,
    DEFAULT_CONSENT_TITLE,
    Consent,
    ConsentTextVersion,
)


def _new_version(*, clinic, by, title, body, covers_thorax) -> ConsentTextVersion:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                highest = ConsentTextVersion.objects.filter(clinic=clinic).aggregate(
                    v=Max("version")
                )["v"]
                return ConsentTextVersion.objects.create(
                    clinic=clinic,
                    version=(highest or 0) + 1,
                    title=title,
                    body=body,
                    covers_thorax=covers_thorax,
                    created_by=by,
                )
        except IntegrityError:
            continue  # another admin published at the same moment: take the next number
    raise ClinicalError("Could not number the new consent version; please try again.")


@transaction.atomic
def publish_consent_text(*, clinic, by, title: str, body: str, covers_thorax: bool):
    """Save edited consent text as the clinic's next version. Consents on older versions stop
    being valid for needling, so every patient is asked to consent to the new words."""
    current = ConsentTextVersion.current_for(clinic)
    if current and (current.title, current.body, current.covers_thorax) == (
        title,
        body,
        covers_thorax,
    ):
        raise ClinicalError("The text is unchanged, so no new version was made.")
    version = _new_version(
        clinic=clinic, by=by, title=title, body=body, covers_thorax=covers_thorax
    )
    record(
        by=by,
        action="consent_text.publish",
        target=version,
        clinic=clinic,
        summary=f"Consent text version {version.version}",
        details={"version": version.version, "covers_thorax": covers_thorax},
    )
    return version


def current_text_or_default(clinic) -> ConsentTextVersion:
    """The clinic's current text, or an unsaved default (version 1) to show before any exists."""
    return ConsentTextVersion.current_for(clinic) or ConsentTextVersion(
        clinic=clinic, version=1, title=DEFAULT_CONSENT_TITLE, body=DEFAULT_CONSENT_BODY
    )


@transaction.atomic
def record_consent(
    *,
    patient,
    by,
    signature_name: str,
    covers_thorax: bool,
    shown_version: int,
    signer_relationship: str = "",
    mature_minor_assessment: str = "",
) -> Consent:
    """Record the patient's consent to the text version they were shown (`shown_version`).

    Refused when the clinic's text changed since the page was shown (the patient must read the
    current words) or when thorax cover is asked on a text that does not name pneumothorax.
    Refused when the signer may not consent (consent_rules.signer_problems): a name that is not
    the patient's without a substitute decision-maker's relationship, or a patient under the
    clinic's consent age signing alone without a documented mature-minor assessment.
    A clinic without any text gets the default text as version 1 here.
    """
    signature_name = " ".join((signature_name or "").split())
    signer_relationship = " ".join((signer_relationship or "").split())
    mature_minor_assessment = (mature_minor_assessment or "").strip()
    if not signature_name:
        raise ClinicalError("The person signing must type their full name.")
    problems = signer_problems(
        patient=patient,
        signature_name=signature_name,
        signer_relationship=signer_relationship,
        mature_minor_assessment=mature_minor_assessment,
        on=patient.clinic.today(),
    )
    if problems:
        raise ClinicalError(" ".join(problems))
    text = ConsentTextVersion.current_for(patient.clinic_id)
    created_default = False
    if text is None:
        text = _new_version(
            clinic=patient.clinic,
            by=by,
            title=DEFAULT_CONSENT_TITLE,
            body=DEFAULT_CONSENT_BODY,
            covers_thorax=True,
        )
        created_default = True
    if text.version != shown_version:
        raise ClinicalError(
            f"The consent text changed to version {text.version} while this page was open. "
            "Show the patient the current text and record consent again."
        )
    if covers_thorax and not text.covers_thorax:
        raise ClinicalError(
            "This consent text does not name the pneumothorax risk, so it cannot cover needling "
            "over the thorax. Ask a clinic admin to update the text."
        )
    consent = Consent.objects.create(
        patient=patient,
        clinic=patient.clinic,
        text_version=text,
        explained_by=by,
        signature_name=signature_name,
        signer_relationship=signer_relationship,
        mature_minor_assessment=mature_minor_assessment,
        signed_at=timezone.now(),
        covers_thorax=covers_thorax,
    )
    record(
        by=by,
        action="consent.record",
        target=consent,
        patient=patient,
        summary=f"Consent on text version {text.version}"
        + (" incl. thorax" if covers_thorax else ""),
        details={
            "version": text.version,
            "covers_thorax": covers_thorax,
            "signed_by_substitute": bool(signer_relationship),
            "mature_minor_assessment": bool(mature_minor_assessment),
            "created_default_text": created_default,
        },
        signed_content=consent,
    )
    return consent


@transaction.atomic
def withdraw_consent(*, consent: Consent, by, reason: str) -> Consent:
    """Record that the patient withdrew consent. Needling cannot be signed after this."""
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ClinicalError("This consent was already withdrawn.")
    reason = (reason or "").strip()
    if not reason:
        raise ClinicalError("Say why the consent is withdrawn (the patient's words are best).")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = by
    locked.withdrawal_reason = reason
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record(
        by=by,
        action="consent.withdraw",
        target=locked,
        patient=locked.patient,
        summary="Consent withdrawn",
    )
    return locked
