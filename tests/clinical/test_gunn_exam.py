"""Gunn's examination as a Gunn-trained practitioner records it: tenderness by spinal level fed
to the segment engine, the other signs, the graded response and the re-test after needling."""

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical import actions, engine
from imsclinic.clinical.actions import ClinicalError, RecordLocked
from imsclinic.clinical.forms import HistoryForm, NeedlingRowForm
from imsclinic.clinical.models import NeedlingRow, SignRetest, SpinalLevelFinding
from imsclinic.knowledge import infer_segments
from tests.factories import AssessmentFactory, NeedlingRowFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(patient_a, alice):
    return AssessmentFactory(patient=patient_a, practitioner=alice)


def level(structure, lvl, side, state="tender"):
    return {"structure": structure, "level": lvl, "side": side, "state": state}


def test_paraspinal_level_findings_become_the_engines_paraspinal_muscles(assessment):
    rows = [
        SpinalLevelFinding(
            assessment=assessment, structure="paraspinal", level="L5", side="R", state="tender"
        ),
        SpinalLevelFinding(
            assessment=assessment, structure="paraspinal", level="L5", side="R", state="taut"
        ),
        SpinalLevelFinding(
            assessment=assessment, structure="paraspinal", level="C1", side="L", state="tender"
        ),
    ]
    muscles, signs = engine.level_findings_for_engine(rows)
    assert muscles == [
        ("lumbar_multifidus_l5", "R", "tender"),
        ("lumbar_multifidus_l5", "R", "taut"),
    ]
    # C1 has no paraspinal row in the knowledge base: it goes in as the sign on its segment.
    assert signs == [{"sign": "paraspinal_tenderness", "segment": "C1", "side": "L"}]


def test_spinous_process_tenderness_goes_to_its_segment_and_midline_has_no_side(assessment):
    rows = [
        SpinalLevelFinding(
            assessment=assessment, structure="spinous", level="T4", side="M", state="tender"
        ),
        SpinalLevelFinding(
            assessment=assessment, structure="spinous", level="T4", side="M", state="taut"
        ),
        SpinalLevelFinding(
            assessment=assessment, structure="spinous", level="C6", side="R", state="tender"
        ),
    ]
    _muscles, signs = engine.level_findings_for_engine(rows)
    assert signs == [
        {"sign": "spinous_process_tenderness", "segment": "T4", "side": None},
        {"sign": "spinous_process_tenderness", "segment": "C6", "side": "R"},
    ]
    inference = infer_segments(signs)
    assert inference.score_of("T4", None) > 0 and inference.score_of("C6", "R") > 0


def test_the_grid_drives_the_suggested_segment(assessment, alice):
    actions.set_level_findings(
        assessment=assessment,
        by=alice,
        findings=[
            level("paraspinal", "L5", "R"),
            level("paraspinal", "L5", "R", "taut"),
            level("spinous", "L5", "R"),
        ],
    )
    assessment.refresh_from_db()
    assert assessment.suggested_segments["suggested"][0] == "L5-R"
    assert [f.label for f in assessment.level_findings.all()] == [
        "L5 right paraspinal tender",
        "L5 right paraspinal taut",
        "L5 right spinous process tender",
    ]
    assert AuditEvent.objects.get(action="assessment.levels.set").details == {"count": 3}


def test_the_same_paraspinal_on_the_muscle_list_and_the_grid_counts_once(assessment, alice):
    actions.add_finding(
        assessment=assessment, by=alice, muscle_id="lumbar_multifidus_l4", side="L", grade="tender"
    )
    assessment.refresh_from_db()
    before = assessment.suggested_segments["segments"][0]
    actions.set_level_findings(
        assessment=assessment, by=alice, findings=[level("paraspinal", "L4", "L")]
    )
    assessment.refresh_from_db()
    after = assessment.suggested_segments["segments"][0]
    assert (after["segment"], after["side"], after["score"]) == (
        before["segment"],
        before["side"],
        before["score"],
    )


def test_the_grid_replaces_the_previous_findings_and_a_bad_cell_saves_nothing(assessment, alice):
    actions.set_level_findings(
        assessment=assessment, by=alice, findings=[level("paraspinal", "T4", "L")]
    )
    with pytest.raises(ClinicalError, match="left or right; spinous-process findings"):
        actions.set_level_findings(
            assessment=assessment,
            by=alice,
            findings=[level("paraspinal", "T5", "R"), level("paraspinal", "T6", "M")],
        )
    with pytest.raises(ClinicalError, match="'S4' is not a spinal level"):
        actions.set_level_findings(
            assessment=assessment, by=alice, findings=[level("spinous", "S4", "M")]
        )
    assert [f.label for f in assessment.level_findings.all()] == ["T4 left paraspinal tender"]
    actions.set_level_findings(assessment=assessment, by=alice, findings=[])
    assert not assessment.level_findings.exists()


def test_the_database_refuses_a_midline_paraspinal(assessment):
    with pytest.raises(IntegrityError):
        SpinalLevelFinding.objects.create(
            assessment=assessment, structure="paraspinal", level="T4", side="M", state="tender"
        )


def test_level_findings_lock_with_the_signed_assessment(assessment, alice):
    actions.set_level_findings(
        assessment=assessment, by=alice, findings=[level("spinous", "L4", "M")]
    )
    actions.sign_assessment(assessment=assessment, by=alice)
    with pytest.raises(RecordLocked):
        actions.set_level_findings(assessment=assessment, by=alice, findings=[])
    with pytest.raises(RecordLocked):
        assessment.level_findings.get().delete()


def test_grid_page_has_accessible_cells_and_saves(client, assessment, alice):
    client.force_login(alice)
    url = reverse("clinical:assessment", args=[assessment.uuid])
    page = client.get(url).content.decode()
    assert 'aria-label="T4 left tender"' in page
    assert 'aria-label="T4 spinous process midline taut"' in page
    assert 'aria-label="S2 right tender"' in page
    client.post(
        reverse("clinical:assessment-levels", args=[assessment.uuid]),
        {"level": ["paraspinal|T4|L|tender", "spinous|T4|M|taut"]},
    )
    assert sorted(f.label for f in assessment.level_findings.all()) == [
        "T4 left paraspinal tender",
        "T4 midline spinous process taut",
    ]
    page = client.get(url).content.decode()
    assert 'value="paraspinal|T4|L|tender" aria-label="T4 left tender" checked' in page
    refused = client.post(
        reverse("clinical:assessment-levels", args=[assessment.uuid]),
        {"level": ["paraspinal|T4|M|tender"]},
        follow=True,
    )
    assert "left or right" in refused.content.decode()
    assert assessment.level_findings.count() == 2


def test_enlarged_nerves_and_measured_temperature_difference(assessment, alice):
    form = HistoryForm(
        {
            "enlarged_nerves": "Ulnar nerve at the elbow, L\nCommon fibular nerve at the fibular head, R",
            "temperature_difference_c": "1.5",
            "temperature_site": "Lateral calf, right colder",
        }
    )
    assert form.is_valid(), form.errors
    actions.update_assessment(
        assessment=assessment,
        by=alice,
        fields={
            key: form.cleaned_data[key]
            for key in ("enlarged_nerves", "temperature_difference_c", "temperature_site")
        },
    )
    assessment.refresh_from_db()
    assert assessment.enlarged_nerves == [
        {"nerve": "Ulnar nerve at the elbow", "side": "L"},
        {"nerve": "Common fibular nerve at the fibular head", "side": "R"},
    ]
    assert assessment.temperature_difference_c == Decimal("1.5")
    missing_site = HistoryForm({"temperature_difference_c": "2"})
    assert not missing_site.is_valid()
    assert missing_site.errors["temperature_site"] == ["Say where the temperature was measured."]
    assert not HistoryForm({"enlarged_nerves": "Ulnar nerve"}).is_valid()


def test_a_temperature_without_where_is_refused_by_the_action(assessment, alice):
    with pytest.raises(ClinicalError, match="where the temperature difference was measured"):
        actions.update_assessment(
            assessment=assessment, by=alice, fields={"temperature_difference_c": Decimal("1.0")}
        )


def test_the_response_is_graded_and_has_no_default():
    field = NeedlingRow._meta.get_field("response")
    assert not field.has_default()
    assert [value for value, _label in NeedlingRowForm().fields["response"].choices] == [
        "",
        "none",
        "twitch",
        "grasp_1",
        "grasp_2",
        "grasp_3",
    ]
    form = NeedlingRowForm(
        {
            "muscle": "gluteus_medius",
            "side": "R",
            "insertions": 2,
            "depth_mm": "30",
            "tolerance": "good",
        }
    )
    assert not form.is_valid() and "response" in form.errors


def test_the_session_page_offers_no_pre_selected_response(client, patient_a, alice):
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    client.force_login(alice)
    page = client.get(reverse("clinical:session", args=[session.uuid])).content.decode()
    start = page.index('name="response"')
    select = page[start : page.index("</select>", start)]
    import re

    selected = re.findall(r'<option value="([^"]*)"[^>]*selected', select)
    assert selected == [""]  # only the empty choice: the practitioner picks what they saw
    assert 'value="grasp_3"' in select


def test_abnormal_signs_are_retested_before_and_after(patient_a, alice):
    assessment = AssessmentFactory(
        patient=patient_a,
        practitioner=alice,
        range_of_motion=[{"movement": "Lumbar flexion", "value": "50%", "painful": True}],
    )
    actions.set_level_findings(
        assessment=assessment, by=alice, findings=[level("paraspinal", "L5", "R")]
    )
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    assert actions.retest_candidates(session) == [
        {"what": "Lumbar flexion", "before": "50%"},
        {"what": "L5 right paraspinal", "before": "Tender"},
    ]
    retest = actions.add_retest(
        session=session, by=alice, what="Lumbar flexion", before="50%", after="80%"
    )
    assert str(retest) == "Lumbar flexion: 50% → 80%"
    assert [c["what"] for c in actions.retest_candidates(session)] == ["L5 right paraspinal"]
    with pytest.raises(ClinicalError, match="needs what was tested"):
        actions.add_retest(session=session, by=alice, what="SLR", before="40°", after=" ")
    assert AuditEvent.objects.filter(action="session.retest.add").count() == 1


def test_retests_lock_with_the_signed_session(patient_a, alice):
    from tests.factories import ConsentFactory

    ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    NeedlingRowFactory(session=session)
    retest = actions.add_retest(
        session=session, by=alice, what="Hip internal rotation", before="10°", after="25°"
    )
    actions.sign_session(session=session, by=alice)
    with pytest.raises(RecordLocked):
        actions.add_retest(session=session, by=alice, what="SLR", before="40°", after="60°")
    with pytest.raises(RecordLocked):
        actions.remove_retest(retest=retest, by=alice)
    assert SignRetest.objects.filter(session=session).count() == 1


def test_session_page_shows_and_records_retests(client, patient_a, alice):
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    client.force_login(alice)
    client.post(
        reverse("clinical:retest-add", args=[session.uuid]),
        {"what": "Cervical rotation right", "before": "45°", "after": "70°"},
    )
    page = client.get(reverse("clinical:session", args=[session.uuid])).content.decode()
    assert "<td>Cervical rotation right</td><td>45°</td><td>70°</td>" in page
    retest = session.retests.get()
    client.post(reverse("clinical:retest-delete", args=[session.uuid, retest.pk]))
    assert not session.retests.exists()


def test_the_api_returns_level_findings_and_the_other_signs(client, assessment, alice):
    actions.set_level_findings(
        assessment=assessment,
        by=alice,
        findings=[level("paraspinal", "C6", "R", "taut"), level("spinous", "C6", "M")],
    )
    actions.update_assessment(
        assessment=assessment,
        by=alice,
        fields={
            "enlarged_nerves": [{"nerve": "Ulnar nerve at the elbow", "side": "L"}],
            "temperature_difference_c": Decimal("0.8"),
            "temperature_site": "Forearm, left colder",
        },
    )
    client.force_login(alice)
    data = client.get(f"/api/v1/clinical/assessments/{assessment.uuid}").json()
    assert data["level_findings"] == [
        {"structure": "paraspinal", "level": "C6", "side": "R", "state": "taut"},
        {"structure": "spinous", "level": "C6", "side": "M", "state": "tender"},
    ]
    assert data["enlarged_nerves"] == [{"nerve": "Ulnar nerve at the elbow", "side": "L"}]
    assert (data["temperature_difference_c"], data["temperature_site"]) == (
        "0.8",
        "Forearm, left colder",
    )
