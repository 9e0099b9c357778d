"""A full clinical record for patient_a (consent, assessment, course, sessions with needling rows,
an adverse event and an outcome questionnaire), built with the areas' own models."""

import datetime
import json
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


def fhir_json(response) -> dict:
    """The JSON of a FHIR answer, whole or streamed (`$everything` is built while it is sent)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)


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


@pytest.fixture
def billing_record(patient_a, alice, bob):
    """Patient A's bills, through the billing actions: an extended-health coverage (spouse's
    plan) and a WCB claim on file; a split invoice (treatment with a discount and a taxable
    product) paid partly by debit and by the insurer after a claim; an invoice paid with an
    overpayment (account credit) and partly refunded; a credited invoice, a void one and a
    draft."""
    from imsclinic.billing import actions
    from tests.factories import ServiceFactory

    clinic = patient_a.clinic
    treatment = ServiceFactory(clinic=clinic, name="IMS treatment", price=Decimal("95.00"))
    day = clinic.today() - datetime.timedelta(days=10)
    plan = actions.add_coverage(
        patient=patient_a,
        by=bob,
        payer_kind="extended_health",
        insurer_name="Sun  Life",
        plan_number="PL-20431",
        member_id="M0042",
        relationship="spouse",
        plan_member_name="Sam Nguyen",
    )
    wcb = actions.add_coverage(
        patient=patient_a,
        by=bob,
        payer_kind="workers_comp",
        insurer_name="WCB Alberta",
        claim_number="W1234567",
    )

    def invoice(*lines, **extra):
        return actions.create_invoice(
            patient=patient_a,
            by=bob,
            practitioner=alice,
            service_date=day,
            lines=[
                {"description": "IMS treatment", "unit_price": "95.00", **line} for line in lines
            ],
            **extra,
        )

    split = invoice(
        {"service": treatment, "discount": "5.00"},
        {
            "description": "Kinesiology tape",
            "unit_price": "12.50",
            "quantity": 2,
            "tax_code": "taxable",
        },
    )
    actions.split_with_payer(invoice=split, coverage=plan, amount=Decimal("72.00"), by=bob)
    split = actions.issue_invoice(invoice=split, by=bob)
    debit = actions.record_payment(
        invoice=split,
        by=bob,
        method="debit",
        amount=split.patient_portion,
        received_on=day,
        reference="T-7781",
    )
    claim = actions.submit_claim(invoice=split, coverage=plan, by=bob, submitted_on=day)
    claim = actions.decide_claim(
        claim=claim, by=bob, status="paid", on=day + datetime.timedelta(days=7)
    )
    overpaid = actions.issue_invoice(invoice=invoice({}), by=bob)
    cash = actions.record_payment(
        invoice=overpaid, by=bob, method="cash", amount=Decimal("100.00"), received_on=day
    )
    refund = actions.refund_payment(
        payment=cash, by=bob, amount=Decimal("20.00"), reason="Charged twice"
    )
    credited = actions.issue_invoice(invoice=invoice({}), by=bob)
    note = actions.issue_credit_note(
        invoice=credited, by=bob, amount=Decimal("25.00"), reason="Short visit"
    )
    void = actions.void_invoice(
        invoice=actions.issue_invoice(invoice=invoice({}), by=bob), by=bob, reason="Booked twice"
    )
    draft = invoice({})
    return {
        "plan": plan,
        "wcb": wcb,
        "split": split,
        "debit": debit,
        "claim": claim,
        "overpaid": overpaid,
        "cash": cash,
        "refund": refund,
        "credited": credited,
        "note": note,
        "void": void,
        "draft": draft,
    }
