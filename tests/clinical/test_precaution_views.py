"""Recording a clearance or a reasoned decision from the session page, and the PDF report's
precautions section."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import PrecautionClearance, PrecautionDecision
from tests.conftest import login
from tests.factories import (
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(patient_a, alice):
    ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(
        patient=patient_a,
        practitioner=alice,
        precheck={"checked": True, "items": [{"id": "anticoagulants"}]},
    )
    NeedlingRowFactory(session=session, muscle_id="piriformis", side="R", depth_mm=60)
    return session


def test_session_page_offers_both_resolutions(client, alice, draft):
    login(client, alice)
    page = client.get(reverse("clinical:session", args=[draft.uuid])).content.decode()
    assert "Anticoagulant or antiplatelet medication" in page and "not resolved" in page
    assert "Record a clearance" in page and "Record your reasoned decision" in page
    assert 'value="piriformis|R"' in page  # the decision names charted sites


def test_incomplete_clearance_saves_nothing_and_says_why(client, alice, draft):
    login(client, alice)
    response = client.post(
        reverse("clinical:session-clearance", args=[draft.uuid]),
        {"precaution_id": "anticoagulants", "cleared_by": "", "method": "letter"},
    )
    assert response.status_code == 200
    assert "The clearance was not recorded" in response.content.decode()
    assert not PrecautionClearance.objects.exists()


def test_decision_from_the_page_is_recorded_and_audited(client, alice, draft):
    login(client, alice)
    response = client.post(
        reverse("clinical:session-decision", args=[draft.uuid]),
        {
            "precaution_id": "anticoagulants",
            "reasoning": "INR 2.1 and stable; piriformis at a lateral point with firm pressure.",
            "sites": ["piriformis|R"],
        },
    )
    assert response.status_code == 302
    decision = PrecautionDecision.objects.get()
    assert decision.adapted_sites == [{"muscle_id": "piriformis", "side": "R"}]
    assert AuditEvent.objects.filter(action="precaution.decide").count() == 1
    page = client.get(reverse("clinical:session", args=[draft.uuid])).content.decode()
    assert "Sites adapted: Piriformis (Right)." in page


def test_front_desk_cannot_record_a_clearance(client, bob, draft):
    login(client, bob)
    response = client.post(
        reverse("clinical:session-clearance", args=[draft.uuid]),
        {
            "precaution_id": "anticoagulants",
            "cleared_by": "Dr Chen",
            "cleared_on": "2026-01-01",
            "method": "letter",
        },
    )
    assert response.status_code == 403
    assert not PrecautionClearance.objects.exists()


def test_the_pdf_report_lists_the_clearance(client, alice, draft, patient_a):
    from imsclinic.clinical import actions

    course = CourseOfCareFactory(patient=patient_a, practitioner=alice)
    actions.record_clearance(
        patient=patient_a,
        by=alice,
        precaution_id="anticoagulants",
        cleared_by="Dr Chen, prescribing physician",
        cleared_on=patient_a.clinic.today(),
        method="letter",
        document_reference="Letter 44",
    )
    login(client, alice)
    url = reverse("reports:report-pdf", args=[patient_a.uuid, course.uuid, "progress"])
    response = client.get(url)
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Precautions" in text
    assert "cleared by Dr Chen, prescribing physician" in " ".join(text.split())
