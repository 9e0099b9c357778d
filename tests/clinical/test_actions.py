"""The signing rules and the lock, enforced in the action layer (not only in forms)."""

import datetime
from decimal import Decimal

import pytest

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical import actions
from imsclinic.clinical.actions import ClinicalError, RecordLocked, SigningRefused
from imsclinic.clinical.models import Addendum, NeedlingRow, TreatmentSession
from tests.factories import (
    AssessmentFactory,
    ConsentFactory,
    ConsentTextVersionFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    PatientFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consented(patient_a, alice):
    return ConsentFactory(patient=patient_a, explained_by=alice)


@pytest.fixture
def draft(patient_a, alice, consented):
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, session_number=1)
    NeedlingRowFactory(session=session, muscle_id="gluteus_medius", side="R")
    NeedlingRowFactory(session=session, muscle_id="piriformis", side="R", depth_mm=Decimal(50))
    return session


def refusals(session, user):
    with pytest.raises(SigningRefused) as caught:
        actions.sign_session(session=session, by=user)
    session.refresh_from_db()
    assert session.signed_at is None
    return caught.value.reasons


def test_clean_session_signs_and_is_audited(draft, alice):
    signed = actions.sign_session(session=draft, by=alice)
    assert signed.signed_at is not None and signed.signed_by == alice
    assert AuditEvent.objects.filter(action="session.sign", target_id=str(draft.uuid)).count() == 1


def test_refuses_needle_count_mismatch(draft, alice):
    TreatmentSession.objects.filter(pk=draft.pk).update(needles_in=7, needles_out=6)
    draft.refresh_from_db()
    reasons = refusals(draft, alice)
    assert reasons == [
        "Needle count does not match: 7 in, 6 out. Find and count every needle before signing."
    ]


def test_refuses_absolute_contraindication_in_precheck(draft, alice):
    draft.precheck = {"checked": True, "items": [{"id": "medical_emergency"}]}
    draft.save()
    reasons = refusals(draft, alice)
    assert len(reasons) == 1
    assert reasons[0].startswith("Absolute contraindication recorded (today's check)")
    assert "emergency" in reasons[0].lower()


def test_located_absolute_contraindication_refuses_only_in_its_area(draft, alice):
    draft.precheck = {
        "checked": True,
        "items": [{"id": "local_infection", "regions": ["leg_front_l"]}],
    }
    draft.save()
    actions.sign_session(session=draft, by=alice)  # buttock on the right: allowed

    other = TreatmentSessionFactory(
        patient=draft.patient,
        practitioner=alice,
        session_number=2,
        precheck={"checked": True, "items": [{"id": "local_infection", "regions": ["buttock_r"]}]},
    )
    NeedlingRowFactory(session=other, muscle_id="gluteus_medius", side="R")
    [reason] = refusals(other, alice)
    assert "Gluteus medius" in reason and "No needling there" in reason


def test_refuses_without_consent(patient_a, alice):
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    NeedlingRowFactory(session=session)
    assert refusals(session, alice) == [
        "No informed consent is recorded for this patient. Record consent before needling."
    ]


def test_refuses_withdrawn_consent(draft, alice, consented):
    actions.withdraw_consent(consent=consented, by=alice, reason="Changed her mind")
    [reason] = refusals(draft, alice)
    assert reason.startswith("Consent was withdrawn on")


def test_refuses_consent_on_outdated_text(draft, alice, olivia, clinic_a):
    actions.publish_consent_text(
        clinic=clinic_a, by=olivia, title="Consent v2", body="New words", covers_thorax=True
    )
    [reason] = refusals(draft, alice)
    assert "text version 1" in reason and "now version 2" in reason


def test_thorax_needling_needs_thorax_consent(draft, alice, patient_a):
    NeedlingRowFactory(session=draft, muscle_id="rhomboid_major", side="R", depth_mm=Decimal(12))
    [reason] = refusals(draft, alice)
    assert "does not cover thorax needling" in reason
    actions.record_consent(
        patient=patient_a,
        by=alice,
        signature_name="Patricia Nguyen",
        covers_thorax=True,
        shown_version=1,
    )
    actions.sign_session(session=draft, by=alice)


def test_refuses_expired_authorisation(draft, alice):
    day = draft.local_date  # the clinic's date of the session, not the server's
    alice.needling_authorisations.update(
        issued_on=day - datetime.timedelta(400), expires_on=day - datetime.timedelta(1)
    )
    [reason] = refusals(draft, alice)
    assert f"has no needling authorisation for CA-AB that is current on {day:%Y-%m-%d}" in reason


def test_authorisation_from_another_jurisdiction_does_not_count(draft, alice):
    alice.needling_authorisations.update(jurisdiction="CA-BC")
    [reason] = refusals(draft, alice)
    assert "CA-AB" in reason


def test_refuses_unacknowledged_over_depth(draft, alice):
    row = NeedlingRowFactory(
        session=draft, muscle_id="gastrocnemius", side="L", depth_mm=Decimal(45)
    )
    [reason] = refusals(draft, alice)
    assert reason.startswith("Gastrocnemius (Left): depth 45.0 mm is beyond the guidance of 10-30")
    actions.update_needling_row(row=row, by=alice, values={"depth_acknowledged": True})
    actions.sign_session(session=draft, by=alice)


def test_every_reason_is_listed_at_once(alice, clinic_a):
    unconsented = PatientFactory(clinic=clinic_a)
    draft = TreatmentSessionFactory(
        patient=unconsented,
        practitioner=alice,
        needles_in=3,
        needles_out=2,
        precheck={},
        clean_technique={},
    )
    NeedlingRowFactory(session=draft)
    reasons = refusals(draft, alice)
    assert len(reasons) == 4
    assert any("pre-session check" in r for r in reasons)
    assert any(
        "Clean needle technique not confirmed: skin prep, hand hygiene" in r for r in reasons
    )


def test_edit_after_signing_is_refused_everywhere(draft, alice):
    actions.sign_session(session=draft, by=alice)
    with pytest.raises(RecordLocked):
        actions.update_session(session=draft, by=alice, fields={"pain_after": 1})
    with pytest.raises(RecordLocked):
        actions.add_needling_row(
            session=draft, by=alice, values={"muscle_id": "soleus", "side": "L", "depth_mm": 20}
        )
    row = draft.needling_rows.first()
    with pytest.raises(RecordLocked):
        actions.remove_needling_row(row=row, by=alice)
    # The model save path refuses too, even with a stale copy loaded before signing.
    stale = TreatmentSession.objects.get(pk=draft.pk)
    stale.pain_after = 0
    with pytest.raises(RecordLocked):
        stale.save()
    row.depth_mm = Decimal(99)
    with pytest.raises(RecordLocked):
        row.save()
    with pytest.raises(SigningRefused, match="already signed"):
        actions.sign_session(session=draft, by=alice)
    draft.refresh_from_db()
    assert draft.pain_after == 3 and NeedlingRow.objects.filter(session=draft).count() == 2


def test_correction_is_an_addendum(draft, alice):
    with pytest.raises(ClinicalError, match="not signed"):
        actions.add_addendum(by=alice, session=draft, reason="typo", body="x")
    actions.sign_session(session=draft, by=alice)
    addendum = actions.add_addendum(
        by=alice, session=draft, reason="Wrong side charted", body="Piriformis was LEFT."
    )
    assert list(draft.addenda.all()) == [addendum]
    with pytest.raises(ClinicalError):
        actions.add_addendum(by=alice, session=draft, reason="", body="x")
    assert Addendum.objects.count() == 1


def test_other_practitioner_cannot_sign(draft, olivia):
    reasons = refusals(draft, olivia)
    assert reasons[0] == "Only the practitioner who charted this session can sign it."


def test_start_session_numbers_and_never_opens_two_drafts(patient_a, alice):
    course = CourseOfCareFactory(patient=patient_a, practitioner=alice)
    first = actions.start_session(patient=patient_a, by=alice)
    again = actions.start_session(patient=patient_a, by=alice)
    assert first.pk == again.pk and first.session_number == 1 and first.course == course


def test_repeat_last_session_copies_rows_without_acknowledgements(draft, alice, patient_a):
    NeedlingRowFactory(
        session=draft,
        muscle_id="gastrocnemius",
        side="L",
        depth_mm=Decimal(40),
        depth_acknowledged=True,
    )
    actions.sign_session(session=draft, by=alice)
    new = actions.start_session(patient=patient_a, by=alice)
    assert actions.repeat_last_session(session=new, by=alice) == 3
    rows = list(new.needling_rows.values_list("muscle_id", "side", "depth_acknowledged"))
    assert rows == [
        ("gluteus_medius", "R", False),
        ("piriformis", "R", False),
        ("gastrocnemius", "L", False),
    ]


def test_add_row_rejects_unknown_muscle(draft, alice):
    with pytest.raises(ClinicalError, match="not a muscle"):
        actions.add_needling_row(
            session=draft,
            by=alice,
            values={"muscle_id": "flux_capacitor", "side": "L", "depth_mm": 5},
        )


def test_adverse_event_can_be_reported_after_signing(draft, alice):
    actions.sign_session(session=draft, by=alice)
    event = actions.add_adverse_event(
        session=draft,
        by=alice,
        fields={"kind": "bruising", "severity": "mild", "action_taken": "Ice, reassurance"},
    )
    assert event.patient == draft.patient


# ---- assessments ----


def test_assessment_with_needling_plan_needs_consent_and_no_absolute(patient_a, alice):
    assessment = AssessmentFactory(
        patient=patient_a,
        practitioner=alice,
        accepted_segments=["L5-R"],
        screening_answers={"medical_emergency": True},
    )
    with pytest.raises(SigningRefused) as caught:
        actions.sign_assessment(assessment=assessment, by=alice)
    reasons = caught.value.reasons
    assert any(r.startswith("Absolute contraindication") for r in reasons)
    assert any("No informed consent" in r for r in reasons)
    # Without a needling plan it documents "not suitable" and signs.
    actions.update_assessment(assessment=assessment, by=alice, fields={"accepted_segments": []})
    signed = actions.sign_assessment(assessment=assessment, by=alice)
    with pytest.raises(RecordLocked):
        actions.update_assessment(assessment=signed, by=alice, fields={"onset": "x"})


def test_assessment_sign_refuses_without_authorisation(patient_a, alice, consented):
    alice.needling_authorisations.update(revoked_at=datetime.datetime.now(datetime.UTC))
    assessment = AssessmentFactory(
        patient=patient_a, practitioner=alice, accepted_segments=["L5-R"]
    )
    with pytest.raises(SigningRefused, match="no needling authorisation"):
        actions.sign_assessment(assessment=assessment, by=alice)


def test_findings_refresh_engine_suggestion(patient_a, alice):
    assessment = actions.start_assessment(patient=patient_a, by=alice)
    for muscle in ("gluteus_medius", "tibialis_anterior", "extensor_hallucis_longus"):
        actions.add_finding(
            assessment=assessment, by=alice, muscle_id=muscle, side="R", grade="tender"
        )
    assessment.refresh_from_db()
    assert assessment.suggested_segments["suggested"][0].startswith("L")
    assert "L5-R" in assessment.suggested_segments["suggested"]
    assert assessment.suggested_segments["plan"]["items"]


# ---- consent ----


def test_consent_text_versions_and_default(patient_a, alice, olivia, clinic_a):
    consent = actions.record_consent(
        patient=patient_a,
        by=alice,
        signature_name=" Patricia  Nguyen",
        covers_thorax=True,
        shown_version=1,
    )
    assert consent.text_version.version == 1 and "pneumothorax" in consent.text_version.body.lower()
    assert consent.signature_name == "Patricia Nguyen"
    v2 = actions.publish_consent_text(
        clinic=clinic_a, by=olivia, title="t", body="b", covers_thorax=False
    )
    assert v2.version == 2
    with pytest.raises(ClinicalError, match="changed to version 2"):
        actions.record_consent(
            patient=patient_a,
            by=alice,
            signature_name="Patricia Nguyen",
            covers_thorax=False,
            shown_version=1,
        )
    with pytest.raises(ClinicalError, match="pneumothorax"):
        actions.record_consent(
            patient=patient_a,
            by=alice,
            signature_name="Patricia Nguyen",
            covers_thorax=True,
            shown_version=2,
        )
    with pytest.raises(ClinicalError, match="unchanged"):
        actions.publish_consent_text(
            clinic=clinic_a, by=olivia, title="t", body="b", covers_thorax=False
        )


def test_text_version_factory_is_per_clinic(clinic_a, clinic_b):
    ConsentTextVersionFactory(clinic=clinic_a, version=1)
    ConsentTextVersionFactory(clinic=clinic_b, version=1)
