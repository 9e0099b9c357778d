"""Clinical views: access rules for every chart view, charting, signing refusals shown, engine
suggestion beside the findings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from imsclinic.audit.models import ChartAccess
from imsclinic.clinical.models import Assessment, TreatmentSession
from tests.conftest import login
from tests.factories import (
    AssessmentFactory,
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(patient_a, alice):
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    course = CourseOfCareFactory(patient=patient_a, practitioner=alice)
    consent = ConsentFactory(patient=patient_a, explained_by=alice)
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, course=course)
    row = NeedlingRowFactory(session=session)
    return {
        "assessment": assessment,
        "course": course,
        "consent": consent,
        "session": session,
        "row": row,
    }


def chart_urls(patient, r):
    p, a, s = patient.uuid, r["assessment"].uuid, r["session"].uuid
    return [
        ("get", reverse("clinical:assessment-tab", args=[p])),
        ("post", reverse("clinical:assessment-start", args=[p])),
        ("get", reverse("clinical:assessment", args=[a])),
        ("post", reverse("clinical:finding-add", args=[a])),
        ("post", reverse("clinical:assessment-sign", args=[a])),
        ("post", reverse("clinical:assessment-addendum", args=[a])),
        ("get", reverse("clinical:course", args=[p])),
        ("post", reverse("clinical:course-status", args=[r["course"].uuid])),
        ("get", reverse("clinical:consent", args=[p])),
        ("post", reverse("clinical:consent-withdraw", args=[r["consent"].uuid])),
        ("get", reverse("clinical:sessions", args=[p])),
        ("post", reverse("clinical:session-start", args=[p])),
        ("get", reverse("clinical:session", args=[s])),
        ("post", reverse("clinical:session-precheck", args=[s])),
        ("post", reverse("clinical:row-add", args=[s])),
        ("post", reverse("clinical:row-delete", args=[s, r["row"].pk])),
        ("post", reverse("clinical:session-repeat", args=[s])),
        ("post", reverse("clinical:adverse-event-add", args=[s])),
        ("post", reverse("clinical:session-sign", args=[s])),
        ("post", reverse("clinical:session-addendum", args=[s])),
    ]


def test_front_desk_gets_403_everywhere(client, bob, patient_a, records):
    login(client, bob)
    for method, url in chart_urls(patient_a, records):
        assert getattr(client, method)(url).status_code == 403, url
    assert client.get(reverse("clinical:muscle-search"), {"q": "glut"}).status_code == 403
    assert TreatmentSession.objects.count() == 1 and Assessment.objects.count() == 1


def test_other_clinic_gets_404_everywhere(client, carol, patient_a, records):
    login(client, carol)
    for method, url in chart_urls(patient_a, records):
        assert getattr(client, method)(url).status_code == 404, url


def test_anonymous_goes_to_login(client, patient_a, records):
    for method, url in chart_urls(patient_a, records):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_consent_text_is_for_clinic_admins(client, alice, olivia):
    login(client, alice)
    assert client.get(reverse("clinical:consent-text")).status_code == 403
    login(client, olivia)
    assert client.get(reverse("clinical:consent-text")).status_code == 200


def test_session_page_shows_hazards_precautions_and_refusals(client, alice, records):
    session = records["session"]
    NeedlingRowFactory(session=session, muscle_id="rhomboid_major", side="R", depth_mm=Decimal(12))
    NeedlingRowFactory(session=session, muscle_id="rhomboid_major", side="L", depth_mm=Decimal(12))
    session.precheck = {"checked": True, "items": [{"id": "anticoagulants"}]}
    session.save()
    login(client, alice)
    response = client.get(reverse("clinical:session", args=[session.uuid]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lung and pleura beneath" in html  # the hazard, with its caution text
    assert "never needle both sides of the thorax" in html
    assert "Thorax needled on both sides in one session" in html
    assert "Anticoagulant" in html  # the relevant precaution on the session
    assert "does not cover thorax needling" in html  # signing refusal preview
    assert ChartAccess.objects.filter(what="chart.session", username="alice").count() == 1


def test_sign_refusal_is_shown_with_reason(client, alice, records):
    session = records["session"]
    TreatmentSession.objects.filter(pk=session.pk).update(needles_in=9, needles_out=8)
    login(client, alice)
    response = client.post(reverse("clinical:session-sign", args=[session.uuid]), follow=True)
    assert "Needle count does not match: 9 in, 8 out." in response.content.decode()
    session.refresh_from_db()
    assert session.signed_at is None


def test_sign_then_edit_is_refused(client, alice, records):
    session = records["session"]
    login(client, alice)
    response = client.post(reverse("clinical:session-sign", args=[session.uuid]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.signed_at is not None
    response = client.post(
        reverse("clinical:row-add", args=[session.uuid]),
        {
            "muscle": "Soleus",
            "side": "L",
            "insertions": 2,
            "depth_mm": 20,
            "response": "twitch",
            "tolerance": "good",
        },
        follow=True,
    )
    assert "signed and is locked" in response.content.decode()
    assert session.needling_rows.count() == 1


def test_add_row_by_name_and_invalid_row(client, alice, records):
    session = records["session"]
    login(client, alice)
    url = reverse("clinical:row-add", args=[session.uuid])
    ok = {
        "muscle": "piriformis",
        "side": "R",
        "insertions": 2,
        "depth_mm": "55",
        "response": "twitch",
        "tolerance": "good",
    }
    assert client.post(url, ok).status_code == 302
    assert session.needling_rows.filter(muscle_id="piriformis").exists()
    bad = client.post(url, {**ok, "muscle": "flux capacitor", "depth_mm": "-3"})
    assert bad.status_code == 200
    assert "unknown muscle" in bad.content.decode()
    assert session.needling_rows.count() == 2


def test_engine_suggestion_beside_findings(client, alice, patient_a):
    login(client, alice)
    client.post(reverse("clinical:assessment-start", args=[patient_a.uuid]))
    assessment = Assessment.objects.get(patient=patient_a)
    url = reverse("clinical:finding-add", args=[assessment.uuid])
    for muscle in ("Gluteus medius", "Tibialis anterior", "Extensor hallucis longus"):
        response = client.post(
            url, {"muscle": muscle, "side": "R", "grade": "tender"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
    html = response.content.decode()
    # The htmx answer is the findings panel: the findings table and the suggestion, side by side.
    assert 'id="findings-panel"' in html and "Segmental engine suggestion" in html
    assert html.index("Muscle findings") < html.index("Segmental engine suggestion")
    assert "L5-R" in html and "Suggested plan" in html
    page = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    assert "findings-layout" in page and "L5-R" in page


def test_assessment_save_body_chart_and_screening(client, alice, patient_a):
    assessment = AssessmentFactory(patient=patient_a, practitioner=alice)
    login(client, alice)
    url = reverse("clinical:assessment", args=[assessment.uuid])
    response = client.post(
        url,
        {
            "pain_pattern": "Right buttock into calf",
            "bc-buttock_r-type": "aching",
            "bc-buttock_r-intensity": "7",
            "sc-anticoagulants": "on",
            "sc-able_to_consent": "on",
            "sign-trophedema_matchstick": ["low_back_r"],
            "condition_id": "sciatica",
            "accepted_segments": "l5-r, S1-R",
            "range_of_motion": "Lumbar flexion: 50%, painful",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.body_chart == [
        {"region": "buttock_r", "side": "R", "pain_type": "aching", "intensity": 7}
    ]
    assert assessment.screening_answers["anticoagulants"] is True
    assert assessment.accepted_segments == ["L5-R", "S1-R"]
    assert assessment.icd10_codes  # filled from the knowledge condition
    assert assessment.range_of_motion[0]["painful"] is True
    page = client.get(url).content.decode()
    assert 'data-region="buttock_r"' in page and "Anticoagulant" in page
    bad = client.post(url, {"bc-buttock_r-type": "aching", "bc-buttock_r-intensity": "14"})
    assert bad.status_code == 200 and "intensity must be 0 to 10" in bad.content.decode()


def test_consent_flow(client, alice, patient_a):
    login(client, alice)
    url = reverse("clinical:consent", args=[patient_a.uuid])
    page = client.get(url).content.decode()
    assert "pneumothorax" in page.lower()
    response = client.post(
        url,
        {
            "shown_version": 1,
            "signature_name": "Patricia Nguyen",
            "understood": "on",
            "covers_thorax": "on",
        },
    )
    assert response.status_code == 302
    consent = patient_a.consents.get()
    assert consent.covers_thorax and consent.explained_by == alice


def test_course_prefilled_from_accepted_segments(client, alice, patient_a):
    AssessmentFactory(patient=patient_a, practitioner=alice, accepted_segments=["L5-R"])
    login(client, alice)
    url = reverse("clinical:course", args=[patient_a.uuid])
    assert "L5-R" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "target_segments": "L5-R",
            "target_muscles": "Gluteus medius, R",
            "planned_sessions": 6,
            "frequency_days": 7,
            "review_at_session": 3,
            "goals": "Walk 30 minutes: 4",
        },
    )
    assert response.status_code == 302
    course = patient_a.courses.get()
    assert course.target_muscles == [{"muscle_id": "gluteus_medius", "side": "R"}]
    assert course.goals == [{"activity": "Walk 30 minutes", "baseline_score": 4}]


def test_today_panel_lists_due_and_drafts(client, alice, patient_a, records):
    login(client, alice)
    html = client.get(reverse("today")).content.decode()
    assert "To chart" in html and "Continue" in html and patient_a.given_name in html


def test_start_from_todays_appointment_links_it(client, alice, patient_a, clinic_a):
    import datetime

    from django.utils import timezone

    from imsclinic.scheduling.models import Appointment

    ConsentFactory(patient=patient_a, explained_by=alice)
    start = timezone.now().astimezone(clinic_a.tz).replace(hour=12, minute=0)
    appointment = Appointment.objects.create(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind="ims_treatment",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
    )
    login(client, alice)
    html = client.get(reverse("today")).content.decode()
    assert f'value="{appointment.uuid}"' in html
    client.post(
        reverse("clinical:session-start", args=[patient_a.uuid]),
        {"appointment": str(appointment.uuid)},
    )
    assert TreatmentSession.objects.get(patient=patient_a).appointment == appointment


def test_todays_initial_assessment_starts_an_assessment_not_a_session(
    client, alice, patient_a, clinic_a
):
    import datetime

    from django.utils import timezone

    from imsclinic.scheduling.models import Appointment

    start = timezone.now().astimezone(clinic_a.tz).replace(hour=10, minute=0)
    appointment = Appointment.objects.create(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        kind="initial_assessment",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=60),
    )
    login(client, alice)
    html = client.get(reverse("today")).content.decode()
    assert "Start assessment for" in html
    assert f"Start session for {patient_a.display_name}" not in html
    response = client.post(
        reverse("clinical:assessment-start", args=[patient_a.uuid]),
        {"appointment": str(appointment.uuid)},
    )
    assessment = Assessment.objects.get(patient=patient_a)
    assert response["Location"] == reverse("clinical:assessment", args=[assessment.uuid])
    assert assessment.appointment == appointment
    assert not TreatmentSession.objects.filter(patient=patient_a).exists()


def _queries(client, url: str) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def _session_links(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r">Session (\d+)</a>", html)]


def test_sessions_tab_is_paginated_newest_first_with_whole_history_totals(
    client, alice, patient_a, clinic_a
):
    from imsclinic.clinical.views.session import SESSIONS_PER_PAGE
    from tests.factories import PatientFactory
    from tests.factories.clinical import AdverseEventFactory
    from tests.factories.outcomes import course_with_sessions

    many = SESSIONS_PER_PAGE + 5
    course_with_sessions(patient=patient_a, practitioner=alice, pains=[(6, 3)] * many)
    oldest = patient_a.treatment_sessions.get(session_number=1)
    AdverseEventFactory(session=oldest, severity="serious")
    few = PatientFactory(clinic=clinic_a)
    course_with_sessions(patient=few, practitioner=alice, pains=[(6, 3)] * 3)
    login(client, alice)
    url = reverse("clinical:sessions", args=[patient_a.uuid])

    _queries(client, url)  # warm per-process caches
    first_count, first = _queries(client, url)
    assert _session_links(first) == list(range(many, many - SESSIONS_PER_PAGE, -1))
    # Totals cover the whole history, not the page: 2 rows of 3 insertions per session.
    assert f"{many} sessions in all ({many} signed)" in first
    assert f"{2 * many} needling rows with {6 * many} insertions" in first
    assert "1 adverse event (1 serious)" in first
    assert 'href="?page=2"' in first and "Older" in first

    last_count, last = _queries(client, url + "?page=2")
    assert _session_links(last) == [5, 4, 3, 2, 1]
    assert "Serious" in last or "serious" in last  # the oldest session's event is on its page
    # Out-of-range or junk page numbers fall back to a real page.
    assert _session_links(_queries(client, url + "?page=99")[1]) == [5, 4, 3, 2, 1]
    assert _session_links(_queries(client, url + "?page=x")[1])[0] == many

    small_count, small = _queries(client, reverse("clinical:sessions", args=[few.uuid]))
    assert _session_links(small) == [3, 2, 1]
    assert 'aria-label="Session pages"' not in small
    assert first_count == last_count == small_count, (first_count, last_count, small_count)


def test_course_tab_counts_done_sessions_without_a_query_per_course(client, alice, patient_a):
    import datetime
    import itertools

    from django.utils import timezone

    numbers = itertools.count(1)
    login(client, alice)
    url = reverse("clinical:course", args=[patient_a.uuid])

    def discharged(signed: int, *, draft: bool = False):
        course = CourseOfCareFactory(
            patient=patient_a,
            practitioner=alice,
            status="discharged",
            started_on=datetime.date(2024, 1, 1),
            discharged_on=datetime.date(2024, 6, 1),
        )
        for _ in range(signed):
            TreatmentSessionFactory(
                patient=patient_a,
                practitioner=alice,
                course=course,
                session_number=next(numbers),
                signed_at=timezone.now(),
                signed_by=alice,
            )
        if draft:  # a draft is not a session done
            TreatmentSessionFactory(
                patient=patient_a, practitioner=alice, course=course, session_number=next(numbers)
            )

    discharged(2, draft=True)
    _queries(client, url)
    one, html = _queries(client, url)
    assert "(2 done)" in html
    for _ in range(4):
        discharged(3)
    five, html = _queries(client, url)
    assert html.count("(3 done)") == 4 and "(2 done)" in html
    assert five == one, f"course tab: {one} queries with 1 course, {five} with 5"
