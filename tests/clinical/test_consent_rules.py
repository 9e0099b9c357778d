"""Who may sign a consent (issue 12): enforced in the record_consent action and again when a
session is signed, so no form or API can bypass it."""

import datetime

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical import actions
from imsclinic.clinical.actions import ClinicalError
from imsclinic.clinical.consent_rules import is_patients_name, name_words
from imsclinic.clinical.models import Consent, consent_problems
from tests.factories import ConsentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def born_years_ago(clinic, years: int) -> datetime.date:
    """A date of birth giving exactly `years` today (the birthday was ~100 days ago, so a
    midnight passing during the test cannot change the age)."""
    anchor = clinic.today() - datetime.timedelta(days=100)
    try:
        return anchor.replace(year=anchor.year - years)
    except ValueError:  # 29 February
        return anchor.replace(year=anchor.year - years, day=28)


@pytest.fixture
def jane(clinic_a):
    return PatientFactory(
        clinic=clinic_a,
        given_name="Jane",
        family_name="Doe",
        date_of_birth=born_years_ago(clinic_a, 40),
    )


@pytest.fixture
def child(clinic_a):
    return PatientFactory(
        clinic=clinic_a,
        given_name="Léa",
        family_name="Côté",
        date_of_birth=born_years_ago(clinic_a, 10),
    )


def record(patient, by, **kwargs):
    kwargs.setdefault("covers_thorax", False)
    kwargs.setdefault("shown_version", 1)
    return actions.record_consent(patient=patient, by=by, **kwargs)


def test_a_name_that_is_not_the_patients_is_refused_with_the_reason(jane, alice):
    with pytest.raises(ClinicalError) as caught:
        record(jane, alice, signature_name="Mickey Mouse")
    assert str(caught.value) == (
        "The signature “Mickey Mouse” does not match the patient's name (Jane Doe). The patient "
        "signs with their own full name; if someone else signs for the patient, record them as "
        "a substitute decision-maker with their relationship to the patient."
    )
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.record").exists()


@pytest.mark.parametrize("typed", ["jane doe", "JANE DOE", "Doe, Jane", " Jane   Doe "])
def test_the_patients_name_matches_ignoring_case_order_and_spacing(jane, alice, typed):
    consent = record(jane, alice, signature_name=typed)
    assert consent.signer_relationship == "" and consent.problems() == []


def test_accents_are_ignored_both_ways(clinic_a, alice):
    patient = PatientFactory(
        clinic=clinic_a,
        given_name="Zoë",
        family_name="Lefèvre",
        date_of_birth=born_years_ago(clinic_a, 30),
    )
    assert record(patient, alice, signature_name="Zoe Lefevre").signature_name == "Zoe Lefevre"
    plain = PatientFactory(
        clinic=clinic_a,
        given_name="Zoe",
        family_name="Lefevre",
        date_of_birth=born_years_ago(clinic_a, 30),
    )
    assert record(plain, alice, signature_name="ZOË LEFÈVRE").patient == plain


def test_the_preferred_name_counts_as_the_patients_name(clinic_a):
    patient = PatientFactory.build(
        clinic=clinic_a, given_name="Elizabeth", preferred_name="Liz", family_name="Ong"
    )
    assert is_patients_name("Liz Ong", patient)
    assert is_patients_name("Elizabeth Ong", patient)
    assert not is_patients_name("Liz", patient)
    assert name_words("Zoë O'Neil-Smith") == ["oneil", "smith", "zoe"]


def test_a_substitute_decision_maker_with_a_relationship_is_accepted(jane, alice):
    consent = record(
        jane, alice, signature_name="John Doe", signer_relationship="Spouse, power of attorney"
    )
    assert consent.signed_by_substitute
    assert consent.signer_relationship == "Spouse, power of attorney"
    assert consent_problems(jane) == []
    event = AuditEvent.objects.get(action="consent.record")
    assert event.details["signed_by_substitute"] is True


def test_a_substitute_must_sign_with_their_own_name(jane, alice):
    with pytest.raises(ClinicalError, match="signs with their own full name"):
        record(jane, alice, signature_name="Jane Doe", signer_relationship="Mother")


def test_a_ten_year_old_cannot_sign_their_own_consent(child, alice):
    with pytest.raises(ClinicalError) as caught:
        record(child, alice, signature_name="Léa Côté")
    assert str(caught.value) == (
        "Léa Côté is 10, under the clinic's consent age of 16, and cannot sign alone. Record "
        "the consent of a parent or guardian (their name and relationship), or your documented "
        "assessment that the patient is a mature minor who understands the treatment, its "
        "risks and the options and can consent."
    )
    assert not Consent.objects.exists()


def test_a_guardians_consent_is_accepted_for_a_minor(child, alice):
    consent = record(child, alice, signature_name="Marc Côté", signer_relationship="Father")
    assert consent.signer_relationship == "Father"
    assert consent_problems(child) == []


def test_a_documented_mature_minor_assessment_is_accepted(clinic_a, alice):
    teen = PatientFactory(
        clinic=clinic_a,
        given_name="Sam",
        family_name="Park",
        date_of_birth=born_years_ago(clinic_a, 15),
    )
    assessment = (
        "Explained needling, pneumothorax and soreness; Sam repeated the risks back, asked "
        "about alternatives and decided freely."
    )
    with pytest.raises(ClinicalError, match="mature minor"):
        record(teen, alice, signature_name="Sam Park", mature_minor_assessment="ok")
    consent = record(teen, alice, signature_name="Sam Park", mature_minor_assessment=assessment)
    assert consent.mature_minor_assessment == assessment
    assert consent_problems(teen) == []


def test_the_consent_age_comes_from_the_clinic_policy(clinic_a, alice):
    teen = PatientFactory(
        clinic=clinic_a,
        given_name="Sam",
        family_name="Park",
        date_of_birth=born_years_ago(clinic_a, 15),
    )
    clinic_a.policies = {"consent_min_age": 14}
    clinic_a.save(update_fields=["policies"])
    teen.clinic.refresh_from_db()
    assert record(teen, alice, signature_name="Sam Park").signer_relationship == ""
    clinic_a.policies = {"consent_min_age": "sixteen"}
    clinic_a.save(update_fields=["policies"])
    teen.clinic.refresh_from_db()
    with pytest.raises(ClinicalError, match="consent-age policy must be a whole number"):
        record(teen, alice, signature_name="Sam Park")


def test_a_self_signed_consent_of_a_minor_does_not_cover_needling(child, alice):
    """A consent recorded before these rules (or written around the action) is refused again
    at signing time: the rule lives in the consent's own problems()."""
    ConsentFactory(patient=child, explained_by=alice, signature_name="Léa Côté")
    assert consent_problems(child) == [
        "Léa Côté is 10, under the clinic's consent age of 16, and cannot sign alone. Record "
        "the consent of a parent or guardian (their name and relationship), or your documented "
        "assessment that the patient is a mature minor who understands the treatment, its "
        "risks and the options and can consent."
    ]


def test_a_stray_signature_recorded_around_the_action_is_refused_at_signing(jane, alice):
    ConsentFactory(patient=jane, explained_by=alice, signature_name="Mickey Mouse")
    assert consent_problems(jane)[0].startswith("The signature “Mickey Mouse” does not match")


def test_consent_page_records_a_guardian_and_explains_refusals(client, child, alice):
    client.force_login(alice)
    url = f"/clinical/patients/{child.uuid}/consent/"
    page = client.get(url)
    assert "under the clinic's consent age of 16" in page.content.decode()
    data = {
        "shown_version": 1,
        "signature_name": "Léa Côté",
        "understood": "on",
    }
    refused = client.post(url, data, follow=True)
    assert "cannot sign alone" in refused.content.decode()
    assert not Consent.objects.exists()
    data.update(signature_name="Marc Côté", signer_relationship="Father")
    client.post(url, data)
    consent = Consent.objects.get()
    assert (consent.signature_name, consent.signer_relationship) == ("Marc Côté", "Father")
    history = client.get(url).content.decode()
    assert "Marc Côté" in history and "Father of the patient" in history
