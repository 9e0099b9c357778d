"""The published consent text and the aftercare text agree on soreness and rest (the clinic
seeds: sore for 24-36 h, rest for 24-48 h), and both name fatigue and drowsiness."""

import re

import pytest

from imsclinic.clinical import actions
from imsclinic.clinical.forms import AdverseEventForm, ConsentTextForm
from imsclinic.clinical.models import DEFAULT_CONSENT_BODY, AdverseEvent
from imsclinic.scheduling.instructions import instruction_text

pytestmark = pytest.mark.django_db


def hours_after(text: str, word: str) -> set[str]:
    """'24 to 36' ranges of hours in the sentence that mentions `word`."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return {
        f"{low}-{high}"
        for sentence in sentences
        if word in sentence.lower()
        for low, high in re.findall(r"(\d+) to (\d+) hours", sentence)
    }


def test_consent_and_aftercare_agree_on_soreness_and_rest(clinic_a, patient_a, alice):
    consent = actions.record_consent(
        patient=patient_a,
        by=alice,
        signature_name="Patricia Nguyen",
        covers_thorax=True,
        shown_version=1,
    )
    published = consent.text_version.body
    aftercare = instruction_text(clinic_a, "aftercare")
    assert hours_after(published, "sore") == hours_after(aftercare, "sore") == {"24-36"}
    assert hours_after(published, "rest") == hours_after(aftercare, "rest") == {"24-48"}


def test_fatigue_and_drowsiness_are_material_risks_and_event_types(clinic_a):
    body = DEFAULT_CONSENT_BODY.lower()
    assert "fatigue" in body and "drowsiness" in body
    assert "tired" in instruction_text(clinic_a, "aftercare").lower()
    kinds = dict(AdverseEventForm().fields["kind"].choices)
    assert kinds[AdverseEvent.Kind.FATIGUE] == "Fatigue"
    assert kinds[AdverseEvent.Kind.DROWSINESS] == "Drowsiness"


def test_an_edited_consent_text_must_keep_fatigue_and_drowsiness():
    body = DEFAULT_CONSENT_BODY.replace("Tiredness (fatigue) or drowsiness", "Tiredness")
    form = ConsentTextForm({"title": "Consent", "body": body, "covers_thorax": "on"})
    assert not form.is_valid()
    assert "fatigue, drowsiness" in form.errors["body"][0]
    assert ConsentTextForm(
        {"title": "Consent", "body": DEFAULT_CONSENT_BODY, "covers_thorax": "on"}
    ).is_valid()


def test_fatigue_event_is_recorded_with_its_label(patient_a, alice):
    from tests.factories import TreatmentSessionFactory

    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    event = actions.add_adverse_event(
        session=session,
        by=alice,
        fields={"kind": "fatigue", "severity": "mild", "action_taken": "Rested, reassured."},
    )
    assert event.get_kind_display() == "Fatigue"
