"""Who may sign a consent to needling: the patient by their own name, or a named substitute
decision-maker; under the clinic's consent age, a guardian or a documented mature-minor
assessment.

Pure functions used by the consent action (refuse to record) and by the consent model (refuse to
sign a session on a consent that breaks them), so both always agree. The legal background and
sources are in docs/charting.md ("Consent").
"""

import datetime
import re
import unicodedata

# The age below which the clinic asks for a guardian or a mature-minor assessment. Neither
# Alberta nor British Columbia sets a fixed age of consent to treatment (docs/charting.md); 16 is
# a common clinic policy (and the age the Alberta Law Reform Institute proposed in 1975). A
# clinic sets its own under clinic.policies["consent_min_age"].
DEFAULT_CONSENT_MIN_AGE = 16
MIN_ASSESSMENT_LENGTH = 20


class ConsentPolicyError(ValueError):
    """The clinic's consent-age policy is not a usable number of years."""


def consent_min_age(clinic) -> int:
    """The clinic's consent age (policy "consent_min_age", default 16). A value that is not a
    whole number of years from 0 to 19 is a configuration error, raised loudly."""
    value = clinic.policy("consent_min_age", DEFAULT_CONSENT_MIN_AGE)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 19:
        raise ConsentPolicyError(
            "The clinic's consent-age policy must be a whole number of years from 0 to 19; "
            "ask a clinic admin to correct it."
        )
    return value


def name_words(name: str) -> list[str]:
    """Words of a name, compared without case, accents or punctuation ("Zoë O'Neil" ->
    ["zoe", "oneil"]), in sorted order so "Doe, Jane" matches "Jane Doe"."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[^\w\s-]", "", plain).replace("-", " ").replace("_", " ")
    return sorted(plain.split())


def is_patients_name(signature_name: str, patient) -> bool:
    """True when the typed name is the patient's (given or preferred name with family name)."""
    typed = name_words(signature_name)
    if not typed:
        return False
    candidates = [f"{patient.given_name} {patient.family_name}"]
    if patient.preferred_name:
        candidates.append(f"{patient.preferred_name} {patient.family_name}")
    return any(typed == name_words(candidate) for candidate in candidates)


def signer_problems(
    *,
    patient,
    signature_name: str,
    signer_relationship: str,
    mature_minor_assessment: str,
    on: datetime.date,
) -> list[str]:
    """Why this signer cannot consent for the patient on `on` ([] when they can)."""
    relationship = (signer_relationship or "").strip()
    assessment = (mature_minor_assessment or "").strip()
    if relationship:
        # A substitute decision-maker (for a minor: a parent or guardian) signs for the patient.
        if is_patients_name(signature_name, patient):
            return [
                "The signer is recorded as the patient's "
                f"{relationship} but typed the patient's own name. The substitute "
                "decision-maker signs with their own full name."
            ]
        return []
    if not is_patients_name(signature_name, patient):
        return [
            f"The signature “{signature_name}” does not match the patient's name "
            f"({patient.full_name}). The patient signs with their own full name; if someone "
            "else signs for the patient, record them as a substitute decision-maker with their "
            "relationship to the patient."
        ]
    try:
        minimum = consent_min_age(patient.clinic)
    except ConsentPolicyError as error:
        return [str(error)]
    age = patient.age_on(on)
    if age < minimum and len(assessment) < MIN_ASSESSMENT_LENGTH:
        return [
            f"{patient.full_name} is {age}, under the clinic's consent age of {minimum}, and "
            "cannot sign alone. Record the consent of a parent or guardian (their name and "
            "relationship), or your documented assessment that the patient is a mature minor "
            "who understands the treatment, its risks and the options and can consent."
        ]
    return []
