"""Issue 12's unsafe records, each refused by the sign action with its exact reason, and a safe
control that still signs. Also: how precautions are resolved, and what repeat copies."""

import datetime
from decimal import Decimal

import pytest

from imsclinic.accounts.models import Role
from imsclinic.audit.models import AuditEvent
from imsclinic.clinical import actions
from imsclinic.clinical.actions import ClinicalError, SigningRefused
from imsclinic.clinical.models import CourseOfCare, TreatmentSession
from tests.factories import (
    ConsentFactory,
    MembershipFactory,
    NeedlingAuthorisationFactory,
    NeedlingRowFactory,
    ProfessionalRegistrationFactory,
    TreatmentSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consented(patient_a, alice):
    return ConsentFactory(patient=patient_a, explained_by=alice, covers_thorax=True)


def session_with(patient, practitioner, rows, *, items=(), **fields):
    """A draft session with counts 6/6, a completed pre-check listing `items` and `rows`
    [(muscle_id, side, depth_mm)]."""
    precheck = {
        "checked": True,
        "items": [item if isinstance(item, dict) else {"id": item} for item in items],
    }
    session = TreatmentSessionFactory(
        patient=patient, practitioner=practitioner, precheck=precheck, **fields
    )
    for muscle_id, side, depth in rows:
        NeedlingRowFactory(session=session, muscle_id=muscle_id, side=side, depth_mm=Decimal(depth))
    return session


def refusals(session, user):
    with pytest.raises(SigningRefused) as caught:
        actions.sign_session(session=session, by=user)
    session.refresh_from_db()
    assert session.signed_at is None
    return caught.value.reasons


UNRESOLVED = (
    "Precaution not resolved: {name} (today's check). Record a clearance (who cleared it, when "
    "and how) or your reasoned decision naming the sites you adapted."
)


def test_safe_control_session_signs(patient_a, alice, consented):
    session = session_with(patient_a, alice, [("gluteus_medius", "R", 40), ("deltoid", "L", 20)])
    signed = actions.sign_session(session=session, by=alice)
    assert signed.signed_by == alice and signed.active_precautions == []


# ---- needles ----


def test_rows_with_zero_needles_counted_are_refused(patient_a, alice, consented):
    session = session_with(
        patient_a,
        alice,
        [("gluteus_medius", "R", 40), ("piriformis", "R", 60)],
        needles_in=0,
        needles_out=0,
    )
    assert refusals(session, alice) == [
        "2 needling rows are charted but no needle is counted in. Count every needle in and out "
        "before signing."
    ]


def test_counts_left_empty_are_refused(patient_a, alice, consented):
    session = session_with(
        patient_a, alice, [("gluteus_medius", "R", 40)], needles_in=None, needles_out=None
    )
    assert refusals(session, alice) == [
        "The needle count is not recorded. Count every needle in and out, and enter both counts "
        "before signing."
    ]


def test_a_new_session_starts_with_empty_counts(patient_a, alice):
    session = actions.start_session(patient=patient_a, by=alice)
    assert session.needles_in is None and session.needles_out is None


def test_repeat_copies_sites_only(patient_a, alice, consented):
    first = session_with(patient_a, alice, [("gluteus_medius", "R", 40)])
    row = first.needling_rows.get()
    assert (row.lot_number, row.response, row.tolerance) == ("LOT-2291", "twitch", "good")
    actions.sign_session(session=first, by=alice)
    draft = actions.start_session(patient=patient_a, by=alice)
    assert actions.repeat_last_session(session=draft, by=alice) == 1
    draft.refresh_from_db()
    copy = draft.needling_rows.get()
    assert (copy.muscle_id, copy.side, copy.depth_mm) == ("gluteus_medius", "R", Decimal(40))
    assert (copy.lot_number, copy.response, copy.tolerance, copy.needle_gauge) == ("", "", "", "")
    assert copy.insertions == 1  # the model default, not the earlier session's 3
    assert draft.needles_in is None and draft.needles_out is None


# ---- precautions ----

PRECAUTION_CASES = {
    "anticoagulants": (
        [("gluteus_medius", "R", 60), ("piriformis", "R", 85)],
        [
            UNRESOLVED.format(name="Anticoagulant or antiplatelet medication"),
            "Gluteus medius (Right) is excluded: Anticoagulant or antiplatelet medication: the "
            "site lies next to a large vessel (bleeding risk) (today's check). Leave it out, "
            "record a clearance of anticoagulant or antiplatelet medication, or name the site in "
            "your reasoned decision.",
            "Piriformis (Right) is excluded: Anticoagulant or antiplatelet medication: the site "
            "lies next to a large vessel (bleeding risk) (today's check). Leave it out, record a "
            "clearance of anticoagulant or antiplatelet medication, or name the site in your "
            "reasoned decision.",
        ],
    ),
    "bleeding_disorder": (
        [("deltoid", "R", 20)],
        [UNRESOLVED.format(name="Bleeding disorder")],
    ),
    "recent_surgery": (
        [("deltoid", "R", 20)],
        [UNRESOLVED.format(name="Recent surgery")],
    ),
    "lung_disease": (
        [("thoracic_paraspinals_t5", "R", 20)],
        [
            UNRESOLVED.format(name="Lung disease (thorax needling)"),
            "Thoracic paraspinals T5 (Right) cannot be needled: Lung disease (thorax needling): "
            "no needling over the thorax (pneumothorax risk with lung disease) (today's check). "
            "No needling there.",
        ],
    ),
    "pregnancy": (
        [("sacral_multifidus_s1", "R", 30)],
        [
            UNRESOLVED.format(name="Pregnancy"),
            "Sacral multifidus S1 (Right) cannot be needled: Pregnancy: abdominal, sacral and "
            "low-back sites are avoided in pregnancy (today's check). No needling there.",
        ],
    ),
}


@pytest.mark.parametrize("precaution", list(PRECAUTION_CASES))
def test_each_unresolved_precaution_refuses(precaution, patient_a, alice, consented):
    rows, expected = PRECAUTION_CASES[precaution]
    session = session_with(patient_a, alice, rows, items=[precaution])
    assert refusals(session, alice) == expected


def test_precaution_from_the_signed_assessment_blocks_too(patient_a, alice, consented):
    assessment = actions.start_assessment(patient=patient_a, by=alice)
    actions.update_assessment(
        assessment=assessment, by=alice, fields={"screening_answers": {"anticoagulants": True}}
    )
    actions.sign_assessment(assessment=assessment, by=alice)
    assessment.refresh_from_db()
    assert [p["id"] for p in assessment.active_precautions] == ["anticoagulants"]
    session = session_with(patient_a, alice, [("deltoid", "R", 20)])
    [reason] = refusals(session, alice)
    assert reason.startswith(
        "Precaution not resolved: Anticoagulant or antiplatelet medication (assessment of "
    )


def test_clearance_resolves_and_lifts_bleeding_exclusions(patient_a, alice, consented):
    session = session_with(patient_a, alice, [("piriformis", "R", 85)], items=["anticoagulants"])
    clearance = actions.record_clearance(
        patient=patient_a,
        by=alice,
        precaution_id="anticoagulants",
        cleared_by="Dr Chen, prescribing physician",
        cleared_on=patient_a.clinic.today(),
        method="letter",
        document_reference="Letter 2026-11-20",
        session=session,
    )
    assert AuditEvent.objects.filter(action="precaution.clear").count() == 1
    signed = actions.sign_session(session=session, by=alice)
    assert [p["id"] for p in signed.active_precautions] == ["anticoagulants"]
    assert clearance.covers(signed.local_date)


def test_decision_lifts_only_the_sites_it_names(patient_a, alice, consented):
    session = session_with(
        patient_a,
        alice,
        [("gluteus_medius", "R", 30), ("piriformis", "R", 85)],
        items=["anticoagulants"],
    )
    actions.record_decision(
        session=session,
        by=alice,
        precaution_id="anticoagulants",
        reasoning="INR stable at 2.3; superficial gluteus medius only, firm pressure after.",
        adapted_sites=[{"muscle_id": "gluteus_medius", "side": "R"}],
    )
    [reason] = refusals(session, alice)
    assert reason.startswith("Piriformis (Right) is excluded: Anticoagulant")
    session.needling_rows.filter(muscle_id="piriformis").delete()
    actions.sign_session(session=session, by=alice)


def test_clearance_never_lifts_lung_disease_over_the_thorax(patient_a, alice, consented):
    session = session_with(
        patient_a, alice, [("thoracic_paraspinals_t5", "R", 20)], items=["lung_disease"]
    )
    actions.record_clearance(
        patient=patient_a,
        by=alice,
        precaution_id="lung_disease",
        cleared_by="Dr Osei, respirologist",
        cleared_on=patient_a.clinic.today(),
        method="phone",
    )
    [reason] = refusals(session, alice)
    assert reason.startswith("Thoracic paraspinals T5 (Right) cannot be needled: Lung disease")


def test_signed_precautions_carry_to_the_next_session(patient_a, alice, consented):
    first = session_with(
        patient_a, alice, [("deltoid", "R", 20)], items=["diabetes"], session_number=1
    )
    actions.record_decision(
        session=first,
        by=alice,
        precaution_id="diabetes",
        reasoning="Sensation intact at the shoulder; no distal limb needling today.",
        adapted_sites=[{"muscle_id": "deltoid", "side": "R"}],
    )
    actions.sign_session(session=first, by=alice)
    second = session_with(patient_a, alice, [("deltoid", "R", 20)])
    assert refusals(second, alice) == [
        "Precaution not resolved: Diabetes (session 1). Record a clearance (who cleared it, when "
        "and how) or your reasoned decision naming the sites you adapted."
    ]


def test_course_plan_is_rechecked_and_flagged_when_precautions_change(patient_a, alice, consented):
    course = actions.create_course(
        patient=patient_a,
        by=alice,
        fields={
            "target_segments": ["L5-R"],
            "target_muscles": [{"muscle_id": "gluteus_medius", "side": "R"}],
        },
    )
    assert course.plan_review["flagged"] is False
    session = session_with(
        patient_a, alice, [("deltoid", "R", 20)], items=["anticoagulants"], course=course
    )
    actions.record_clearance(
        patient=patient_a,
        by=alice,
        precaution_id="anticoagulants",
        cleared_by="Dr Chen, prescribing physician",
        cleared_on=patient_a.clinic.today(),
        method="letter",
    )
    actions.sign_session(session=session, by=alice)
    course.refresh_from_db()
    assert course.plan_review["flagged"] is True
    assert course.plan_review["precautions"] == ["anticoagulants"]
    assert course.plan_review["plan"]["items"]


def test_new_course_refuses_muscles_excluded_for_bleeding_risk(patient_a, alice, consented):
    first = session_with(patient_a, alice, [("deltoid", "R", 20)], items=["bleeding_disorder"])
    actions.record_decision(
        session=first,
        by=alice,
        precaution_id="bleeding_disorder",
        reasoning="Platelets normal last week; deltoid superficial only.",
        adapted_sites=[{"muscle_id": "deltoid", "side": "R"}],
    )
    actions.sign_session(session=first, by=alice)
    with pytest.raises(ClinicalError) as caught:
        actions.create_course(
            patient=patient_a,
            by=alice,
            fields={
                "target_segments": ["S1-R"],
                "target_muscles": [{"muscle_id": "piriformis", "side": "R"}],
            },
        )
    assert str(caught.value) == (
        "The plan names sites the patient's precautions exclude: Piriformis (R): Bleeding "
        "disorder: the site lies next to a large vessel (bleeding risk). Leave them out of the "
        "plan."
    )
    assert not CourseOfCare.objects.exists()


# ---- hard stops ----

BILATERAL = (
    "Hard stop: Both sides of the thorax in one session: never (pneumothorax on both sides at "
    "once would be life-threatening). Defer one side to the next session."
)


def test_rhomboids_left_and_right_are_a_hard_stop(patient_a, alice, consented):
    session = session_with(
        patient_a, alice, [("rhomboid_major", "L", 15), ("rhomboid_major", "R", 15)]
    )
    assert refusals(session, alice) == [BILATERAL]


def test_one_thorax_row_on_both_sides_is_a_hard_stop(patient_a, alice, consented):
    session = session_with(patient_a, alice, [("thoracic_paraspinals_t5", "B", 20)])
    assert refusals(session, alice) == [BILATERAL]


def test_clinic_policy_allows_paraspinals_onto_the_lamina_only(
    patient_a, alice, consented, clinic_a
):
    clinic_a.policies = {"thorax_bilateral_paraspinals_on_lamina": True}
    clinic_a.save(update_fields=["policies"])
    session = session_with(patient_a, alice, [("thoracic_paraspinals_t5", "B", 20)])
    assert refusals(session, alice) == [
        "Hard stop: Thoracic paraspinals were charted on both sides: record that the needle was "
        "directed onto the lamina on both sides, or defer one side to the next session."
    ]
    actions.update_session(session=session, by=alice, fields={"lamina_technique": True})
    NeedlingRowFactory(session=session, muscle_id="rhomboid_major", side="L", depth_mm=15)
    assert refusals(session, alice) == [BILATERAL]  # every other thorax muscle stays a stop
    session.needling_rows.filter(muscle_id="rhomboid_major").delete()
    assert actions.sign_session(session=session, by=alice).lamina_technique is True


def test_rhomboid_at_60_mm_is_refused_even_acknowledged(patient_a, alice, consented):
    session = session_with(patient_a, alice, [])
    NeedlingRowFactory(
        session=session, muscle_id="rhomboid_major", side="R", depth_mm=60, depth_acknowledged=True
    )
    assert refusals(session, alice) == [
        "Hard stop: Rhomboid major (Right) at 60.0 mm is past the 25 mm ceiling for this muscle "
        "over the thorax (pleura beneath). This cannot be acknowledged."
    ]


def test_acknowledged_depth_within_the_ceiling_still_signs(patient_a, alice, consented):
    session = session_with(patient_a, alice, [])
    NeedlingRowFactory(
        session=session, muscle_id="rhomboid_major", side="R", depth_mm=22, depth_acknowledged=True
    )
    actions.sign_session(session=session, by=alice)


# ---- located exclusions ----


def test_right_arm_lymphoedema_excludes_the_whole_quadrant(patient_a, alice, consented):
    lymphoedema = {"id": "lymphoedema", "regions": ["arm_front_r"]}
    session = session_with(
        patient_a,
        alice,
        [("deltoid", "R", 20), ("pectoralis_major", "R", 10), ("deltoid", "L", 20)],
        items=[lymphoedema],
    )
    reason = (
        "{site} cannot be needled: Lymphoedema in the area or limb: no needling anywhere in the "
        "affected limb or its trunk quadrant (cellulitis risk) (today's check). No needling there."
    )
    assert refusals(session, alice) == [
        reason.format(site="Deltoid (Right)"),
        reason.format(site="Pectoralis major (Right)"),
    ]


def test_infection_excludes_its_region_and_the_regions_next_to_it(patient_a, alice, consented):
    infection = {"id": "local_infection", "regions": ["low_back_r"]}
    session = session_with(
        patient_a,
        alice,
        [("gluteus_medius", "R", 40), ("gastrocnemius", "R", 20)],
        items=[infection],
    )
    assert refusals(session, alice) == [
        "Gluteus medius (Right) cannot be needled: Infection or broken skin at the site: no "
        "needling in the infected area or the areas next to it (today's check). No needling there."
    ]


# ---- the actor ----

MEMBERSHIP = (
    "{name} holds no current practitioner membership at Bow Valley Test Clinic. Only a "
    "practitioner of this clinic can chart or sign needling."
)


def _credentials(user, jurisdiction="CA-AB"):
    ProfessionalRegistrationFactory(user=user, jurisdiction=jurisdiction)
    NeedlingAuthorisationFactory(user=user, jurisdiction=jurisdiction)


def test_member_of_another_clinic_cannot_sign(patient_a, carol, consented):
    _credentials(carol)
    session = session_with(patient_a, carol, [("deltoid", "R", 20)])
    assert refusals(session, carol) == [MEMBERSHIP.format(name="Carol Elsewhere")]


def test_front_desk_cannot_sign(patient_a, bob, consented):
    _credentials(bob)
    session = session_with(patient_a, bob, [("deltoid", "R", 20)])
    assert refusals(session, bob) == [MEMBERSHIP.format(name="Bob Frontdesk")]


def test_authorised_user_without_membership_cannot_sign(patient_a, consented):
    loner = UserFactory(first_name="Lee", last_name="Loner")
    _credentials(loner)
    session = session_with(patient_a, loner, [("deltoid", "R", 20)])
    assert refusals(session, loner) == [MEMBERSHIP.format(name="Lee Loner")]


def test_registration_expired_in_2020_cannot_sign(patient_a, clinic_a, consented):
    lapsed = UserFactory(first_name="Rita", last_name="Lapsed")
    MembershipFactory(user=lapsed, clinic=clinic_a, role=Role.PRACTITIONER)
    NeedlingAuthorisationFactory(user=lapsed)
    ProfessionalRegistrationFactory(user=lapsed, expires_on=datetime.date(2020, 3, 31))
    session = session_with(patient_a, lapsed, [("deltoid", "R", 20)])
    day = session.local_date
    assert refusals(session, lapsed) == [
        f"Rita Lapsed has no professional registration in CA-AB that is current on {day:%Y-%m-%d}."
    ]


def test_adding_a_row_checks_the_actor_too(patient_a, bob, alice):
    session = actions.start_session(patient=patient_a, by=alice)
    with pytest.raises(ClinicalError, match="holds no current practitioner membership"):
        actions.add_needling_row(
            session=session, by=bob, values={"muscle_id": "deltoid", "side": "R", "depth_mm": 20}
        )
    assert not session.needling_rows.exists()


def test_a_session_holds_at_most_60_rows(patient_a, alice):
    session = actions.start_session(patient=patient_a, by=alice)
    for _ in range(60):
        NeedlingRowFactory(session=session)
    with pytest.raises(ClinicalError, match="at most 60 needling rows"):
        actions.add_needling_row(
            session=session, by=alice, values={"muscle_id": "deltoid", "side": "R", "depth_mm": 20}
        )
    assert TreatmentSession.objects.get(pk=session.pk).needling_rows.count() == 60


def test_precautions_on_record_cost_the_same_for_20_signed_sessions(patient_a, alice, consented):
    """Issue 14: the chart reads the latest signed record's stored precautions instead of
    re-reading every signed pre-check."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from imsclinic.clinical import safety

    def signed_session(number, items=()):
        session = session_with(
            patient_a, alice, [("deltoid", "R", 20)], items=items, session_number=number
        )
        actions.sign_session(session=session, by=alice)

    actions.record_clearance(
        patient=patient_a,
        by=alice,
        precaution_id="epilepsy",
        cleared_by="Dr Roy, neurologist",
        cleared_on=patient_a.clinic.today(),
        method="letter",
    )
    signed_session(1, items=["epilepsy"])
    with CaptureQueriesContext(connection) as one:
        assert [p.id for p in safety.patient_precautions(patient_a)] == ["epilepsy"]
    for number in range(2, 21):
        signed_session(number)
    with CaptureQueriesContext(connection) as twenty:
        found = safety.patient_precautions(patient_a)
    assert [(p.id, p.source) for p in found] == [("epilepsy", "session 1")]
    assert len(twenty.captured_queries) == len(one.captured_queries)
