"""The portal shows the patient only what was signed: never a draft session or assessment
(issue 13, findings 5 and 10)."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AdverseEventFactory, AssessmentFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db

DRAFT_NOTE = "Draft-only aftercare: still being written"
SIGNED_NOTE = "Signed aftercare: heat and walking"


@pytest.fixture
def sessions(patient_a, alice):
    signed = TreatmentSessionFactory(
        patient=patient_a, practitioner=alice, aftercare_given=SIGNED_NOTE, session_number=1
    )
    signed.signed_at, signed.signed_by = timezone.now(), alice
    signed.save()
    draft = TreatmentSessionFactory(
        patient=patient_a, practitioner=alice, aftercare_given=DRAFT_NOTE, session_number=2
    )
    AdverseEventFactory(session=draft, action_taken="Draft-only adverse event")
    draft_assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    return signed, draft, draft_assessment


def test_the_readable_record_shows_signed_sessions_only(client, pat, sessions):
    client.force_login(pat)
    page = client.get(reverse("interop:portal-record")).content.decode()
    assert "(in progress)" not in page
    assert "Draft-only adverse event" not in page
    assert page.count("<tr><td>") >= 1


def test_the_fhir_download_leaves_out_drafts(client, pat, sessions):
    signed, draft, draft_assessment = sessions
    client.force_login(pat)
    bundle = json.loads(client.get(reverse("interop:portal-record-fhir")).content)
    text = json.dumps(bundle)
    assert str(signed.uuid) in text
    assert str(draft.uuid) not in text
    assert str(draft_assessment.uuid) not in text
    assert "Draft-only adverse event" not in text


def test_the_home_page_aftercare_is_from_signed_sessions(client, pat, sessions):
    client.force_login(pat)
    page = client.get(reverse("portal:home")).content.decode()
    assert SIGNED_NOTE in page and DRAFT_NOTE not in page
