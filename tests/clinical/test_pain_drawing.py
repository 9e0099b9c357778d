"""The patient's own pain drawing: drawn in the portal (the no-JavaScript form here), saved by an
audited action, and shown to the practitioner beside their pain diagram, labelled as the
patient's."""

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.actions import ClinicalError, save_pain_drawing
from imsclinic.clinical.models import PatientPainDrawing
from tests.factories import PatientFactory, UserFactory
from tests.factories.clinical import AssessmentFactory

pytestmark = pytest.mark.django_db

DRAWN = {
    "bc-low_back_r-type": "burning",
    "bc-low_back_r-intensity": "7",
    "bc-calf_r-type": "tingling",
    "bc-calf_r-intensity": "4",
    "note": "Worse after sitting.",
}


def test_the_patient_draws_without_javascript_and_it_is_audited(client, pat, patient_a):
    client.force_login(pat)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Draw where it hurts" in home
    page = client.get(reverse("portal:pain-drawing")).content.decode()
    assert 'aria-label="Right low back"' in page  # the body chart's region buttons
    assert 'name="bc-low_back_r-type"' in page  # and the table the form submits
    response = client.post(reverse("portal:pain-drawing"), DRAWN)
    assert response.status_code == 302
    drawing = PatientPainDrawing.objects.get()
    assert (drawing.patient, drawing.clinic, drawing.drawn_by) == (patient_a, patient_a.clinic, pat)
    assert {m["region"]: (m["pain_type"], m["intensity"]) for m in drawing.marks} == {
        "low_back_r": ("burning", 7),
        "calf_r": ("tingling", 4),
    }
    assert drawing.note == "Worse after sitting."
    event = AuditEvent.objects.get(action="pain_drawing.save")
    assert (event.patient_uuid, event.clinic_id, event.actor_username) == (
        patient_a.uuid,
        patient_a.clinic_id,
        "pat",
    )
    assert event.target_id == str(drawing.uuid)
    assert "Change your drawing" in client.get(reverse("portal:home")).content.decode()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"bc-low_back_r-intensity": "7"}, "Right low back: choose the type of pain."),
        ({"bc-low_back_r-type": "burning", "bc-low_back_r-intensity": "11"}, "0 to 10"),
        ({"note": "only a note"}, "Mark at least one place where it hurts."),
    ],
)
def test_bad_drawings_save_nothing_and_say_why(client, pat, post, message):
    client.force_login(pat)
    response = client.post(reverse("portal:pain-drawing"), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PatientPainDrawing.objects.exists()
    assert not AuditEvent.objects.filter(action="pain_drawing.save").exists()


def test_only_the_patient_draws_their_own(alice, pat, patient_a, clinic_a):
    marks = [{"region": "calf_r", "pain_type": "aching", "intensity": 3}]
    with pytest.raises(ClinicalError, match="Only the patient"):
        save_pain_drawing(patient=patient_a, by=alice, marks=marks)
    other = PatientFactory(clinic=clinic_a, portal_user=UserFactory())
    with pytest.raises(ClinicalError, match="Only the patient"):
        save_pain_drawing(patient=patient_a, by=other.portal_user, marks=marks)
    with pytest.raises(ClinicalError, match="not on the body chart"):
        save_pain_drawing(
            patient=patient_a,
            by=pat,
            marks=[{"region": "tail_r", "pain_type": "aching", "intensity": 3}],
        )
    assert not PatientPainDrawing.objects.exists()


def test_staff_cannot_open_the_portal_drawing(client, alice):
    client.force_login(alice)
    assert client.get(reverse("portal:pain-drawing")).status_code == 403


def _draw(pat, patient):
    return save_pain_drawing(
        patient=patient,
        by=pat,
        marks=[
            {"region": "low_back_r", "pain_type": "burning", "intensity": 7},
            {"region": "calf_r", "pain_type": "tingling", "intensity": 4},
        ],
        note="Worse after sitting.",
    )


def test_the_practitioner_sees_it_beside_the_diagram_which_starts_from_it(
    client, alice, pat, patient_a
):
    _draw(pat, patient_a)
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    client.force_login(alice)
    html = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    assert "The patient's own drawing" in html
    assert "Drawn by Patricia Nguyen in the patient portal" in html
    assert "<td>Right low back</td><td>Burning</td><td>7</td>" in html
    assert "Worse after sitting." in html
    assert "the pain diagram below starts from it" in html
    # The draft's region table is pre-filled: saving the assessment keeps the patient's marks.
    assert '<option value="burning" selected>' in html
    assert "Regions and marks (2 marked)" in html


def test_a_practitioner_of_another_clinic_sees_nothing(client, carol, pat, patient_a):
    _draw(pat, patient_a)
    assessment = AssessmentFactory(patient=patient_a)
    client.force_login(carol)
    response = client.get(reverse("clinical:assessment", args=[assessment.uuid]))
    assert response.status_code == 404


def test_a_signed_assessment_shows_the_drawing_it_was_signed_with(alice, pat, patient_a):
    import datetime

    from django.utils import timezone

    from imsclinic.clinical.views.assessment import patient_drawing_context

    first = _draw(pat, patient_a)
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    assert patient_drawing_context(assessment)["prefilled"]
    Assessment = type(assessment)
    Assessment.objects.filter(pk=assessment.pk).update(
        signed_at=timezone.now(), signed_by=alice, body_chart=[]
    )
    assessment.refresh_from_db()
    later = _draw(pat, patient_a)
    PatientPainDrawing.objects.filter(pk=later.pk).update(
        created_at=timezone.now() + datetime.timedelta(hours=1)
    )
    context = patient_drawing_context(assessment)
    assert context["drawing"] == first
    assert not context["prefilled"]
