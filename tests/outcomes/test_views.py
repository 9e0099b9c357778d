"""Outcome pages: access matrix, the Outcomes tab's charts, questionnaire entry, discharge."""

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.outcomes.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db


def tab_url(patient):
    return reverse("outcomes:tab", args=[patient.uuid])


def test_chart_with_a_course_shows_pain_and_outcome_charts_with_the_mcid_band(
    client, alice, improving_course
):
    client.force_login(alice)
    body = client.get(tab_url(improving_course.patient)).content.decode()
    assert 'class="chart chart-pain"' in body
    assert "Pain before and after each session" in body
    assert "session 1: before 8, after 6" in body  # the chart's description in words
    assert body.count('class="chart chart-score"') == 2  # NPRS and PSFS
    assert body.count('class="mcid-band"') == 2
    assert "MCID 2: a score beyond 6 is a clinically important improvement" in body
    assert 'class="chart chart-dose"' in body and "6 insertions, 2 segments" in body
    assert "L4, L5" in body  # segments treated


def test_flat_course_shows_the_no_change_flag_on_the_tab_summary_and_today(
    client, alice, flat_course
):
    client.force_login(alice)
    assert 'data-flag="no_change"' in client.get(tab_url(flat_course.patient)).content.decode()
    summary = client.get(reverse("patients:chart", args=[flat_course.patient.uuid]))
    assert "No meaningful change by session 4" in summary.content.decode()
    today = client.get(reverse("today")).content.decode()
    assert "Courses to review" in today and "No meaningful change by session 4" in today


@pytest.mark.parametrize(
    "name",
    ["outcomes:tab", "reports:report"],
)
def test_front_desk_gets_403_other_clinic_404_anonymous_login(
    client, bob, carol, flat_course, name
):
    patient = flat_course.patient
    args = (
        [patient.uuid] if name == "outcomes:tab" else [patient.uuid, flat_course.uuid, "progress"]
    )
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(carol)
    assert client.get(url).status_code == 404


def test_outcomes_tab_is_hidden_from_front_desk(client, bob, alice, patient_a):
    client.force_login(bob)
    assert (
        "Outcomes"
        not in client.get(reverse("patients:chart", args=[patient_a.uuid])).content.decode()
    )
    client.force_login(alice)
    assert (
        ">Outcomes</a>"
        in client.get(reverse("patients:chart", args=[patient_a.uuid])).content.decode()
    )


def test_recording_a_questionnaire_in_clinic_scores_and_audits_it(client, alice, flat_course):
    client.force_login(alice)
    url = reverse("outcomes:record", args=[flat_course.patient.uuid, "psfs"])
    response = client.post(
        url,
        {
            "course": str(flat_course.uuid),
            "timepoint": "interim",
            "item_activity_1": "4",
            "item_activity_2": "5",
            "item_activity_3": "6",
        },
    )
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get(instrument_id="psfs")
    assert saved.total == 5.0 and saved.entered_by == alice and saved.completed_via == "clinic"
    assert saved.session_number == 4
    assert AuditEvent.objects.filter(action="outcome.response.record").count() == 1


def test_out_of_range_answer_is_refused_and_nothing_saved(client, alice, flat_course):
    client.force_login(alice)
    url = reverse("outcomes:record", args=[flat_course.patient.uuid, "nprs"])
    before = QuestionnaireResponse.objects.count()
    response = client.post(url, {"timepoint": "interim", "item_pain": "11"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 10" in response.content.decode()
    assert QuestionnaireResponse.objects.count() == before


def test_discharge_needs_a_reason_and_is_audited(client, alice, flat_course):
    client.force_login(alice)
    url = reverse("outcomes:discharge", args=[flat_course.patient.uuid, flat_course.uuid])
    client.post(url, {"reason": ""})
    flat_course.refresh_from_db()
    assert flat_course.status == "active"
    client.post(url, {"reason": "No meaningful change after 4 sessions; referred to physician"})
    flat_course.refresh_from_db()
    assert flat_course.status == "discharged" and flat_course.discharged_on is not None
    assert AuditEvent.objects.filter(action="course.discharge").count() == 1


def test_portal_patient_completes_a_due_questionnaire_for_their_own_course(
    client, pat, alice, patient_a
):
    from tests.factories.outcomes import course_with_sessions

    course = course_with_sessions(patient=patient_a, practitioner=alice, pains=[])
    client.force_login(pat)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Numeric Pain Rating Scale" in home
    response = client.post(
        reverse("outcomes:portal-questionnaire", args=["nprs"]), {"item_pain": "7"}
    )
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get(patient=patient_a)
    assert (saved.course, saved.timepoint, saved.completed_via, saved.total) == (
        course,
        "intake",
        "portal",
        7.0,
    )
    # Once done, it is no longer due: a second submission is refused.
    again = client.post(reverse("outcomes:portal-questionnaire", args=["nprs"]), {"item_pain": "5"})
    assert again.status_code == 404


def test_portal_questionnaire_refuses_staff_and_patients_without_a_due_course(client, alice, pat):
    client.force_login(pat)
    assert client.get(reverse("outcomes:portal-questionnaire", args=["nprs"])).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("outcomes:portal-questionnaire", args=["nprs"])).status_code == 403


def test_clinic_admin_imports_a_licensed_instrument_with_clear_errors(client, olivia, alice):
    import json
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("outcomes:instruments")
    client.force_login(alice)
    assert client.get(url).status_code == 403
    client.force_login(olivia)
    bad = client.post(
        url,
        {
            "questionnaire": SimpleUploadedFile("q.json", b'{"resourceType": "Questionnaire",'),
            "scoring_rule": "odi",
        },
    )
    assert "is not valid JSON" in bad.content.decode()
    fixture = (
        Path(__file__).parents[1] / "knowledge/fixtures/placeholder_disability_questionnaire.json"
    )
    good = client.post(
        url,
        {
            "questionnaire": SimpleUploadedFile("q.json", fixture.read_bytes()),
            "scoring_rule": "odi",
        },
    )
    assert good.status_code == 302, good.content.decode()[:2000]
    from imsclinic.outcomes.models import ClinicInstrument

    row = ClinicInstrument.objects.get()
    assert (
        row.instrument_id == "odi"
        and AuditEvent.objects.filter(action="outcome.instrument.import").exists()
    )
    assert json.loads(json.dumps(row.questionnaire))["resourceType"] == "Questionnaire"
