"""A full clinical record for patient_a (consent, assessment, course, sessions with needling rows,
an adverse event and an outcome questionnaire), built with the areas' own models."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from imsclinic.clinical.models import AdverseEvent
from imsclinic.gateway import actions as token_actions
from tests.factories import (
    AssessmentFactory,
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def alice_token(alice):
    return token_actions.create_personal_token(user=alice, by=alice, name="t")[1]


@pytest.fixture
def full_record(patient_a, alice):
    """Everything a needling patient has, with the lines that must map to FHIR."""
    consent = ConsentFactory(patient=patient_a, explained_by=alice, covers_thorax=True)
    assessment = AssessmentFactory(
        patient=patient_a,
        practitioner=alice,
        icd10_codes=["M54.5", "M79.1"],
        working_diagnosis="Chronic low back pain with L5 radiculopathy",
        condition_id="low_back_pain",
        accepted_segments=["L5-R", "S1-R"],
        onset="Gradual, 2019",
    )
    course = CourseOfCareFactory(
        patient=patient_a, practitioner=alice, assessment=assessment, icd10_codes=["M54.5", "M54.4"]
    )
    started = timezone.now() - datetime.timedelta(days=3)
    session = TreatmentSessionFactory(
        patient=patient_a, practitioner=alice, course=course, session_number=1, started_at=started
    )
    rows = [
        NeedlingRowFactory(session=session, order=1, muscle_id="gluteus_medius", side="R"),
        NeedlingRowFactory(
            session=session,
            order=2,
            muscle_id="lumbar_multifidus_l5",
            side="B",
            paraspinal_level="L5",
            depth_mm=Decimal("25.5"),
            lot_number="LOT-7",
            needle_gauge="0.25",
            needle_length_mm=Decimal("40"),
        ),
    ]
    event = AdverseEvent.objects.create(
        session=session,
        patient=patient_a,
        clinic=patient_a.clinic,
        kind="bruising",
        severity="mild",
        action_taken="Pressure applied, ice.",
        recorded_by=alice,
    )
    session.signed_at, session.signed_by = started + datetime.timedelta(minutes=40), alice
    session.save()
    from imsclinic.outcomes.models import QuestionnaireResponse

    response = QuestionnaireResponse.objects.create(
        patient=patient_a,
        clinic=patient_a.clinic,
        course=course,
        instrument_id="nprs",
        answers={"pain": 6},
        total=6,
        completed_via="clinic",
        entered_by=alice,
        timepoint="intake",
    )
    return {
        "consent": consent,
        "assessment": assessment,
        "course": course,
        "session": session,
        "rows": rows,
        "event": event,
        "response": response,
    }
