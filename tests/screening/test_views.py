"""The public screening pages and the staff request queue."""

import pytest
from django.urls import reverse

from imsclinic.audit.models import AuditEvent
from imsclinic.knowledge import screening_questions
from imsclinic.patients.models import Patient
from imsclinic.screening.models import EvaluationRequest
from tests.factories import EvaluationRequestFactory

pytestmark = pytest.mark.django_db


def answers_post(**yes):
    data = {"pain_regions": ["low_back"], "pain_duration_months": "9"}
    for q in screening_questions():
        if q["type"] == "boolean":
            value = yes.get(q["field"], q["default"])
            data[q["field"]] = "yes" if value else "no"
    return data


def screen(client, clinic, **yes):
    return client.post(reverse("screening:form", args=[clinic.slug]), answers_post(**yes))


def test_form_asks_every_knowledge_base_question_without_login(client, clinic_a):
    body = client.get(reverse("screening:form", args=[clinic_a.slug])).content.decode()
    for q in screening_questions():
        if q["field"] not in ("pain_duration_months", "age_years"):
            assert q["question"].replace("'", "&#x27;") in body, q["field"]
    assert "Where is your pain?" in body and "What have you tried" in body
    # The age is never typed: the date of birth gives it.
    assert "What is your date of birth?" in body and "How old are you?" not in body


def test_date_of_birth_gives_the_age_and_becomes_the_requests(client, clinic_a):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()  # the day the form computes the age on
    born = datetime.date(today.year - 15, 1, 1) - datetime.timedelta(days=200)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    data = answers_post()
    data["age_years"] = born.isoformat()
    client.post(reverse("screening:form", args=[clinic_a.slug]), data)
    contact_page = client.get(reverse("screening:contact", args=[clinic_a.slug])).content.decode()
    assert f'value="{born.isoformat()}"' in contact_page
    client.post(
        reverse("screening:contact", args=[clinic_a.slug]),
        {"given_name": "Teo", "family_name": "Young", "phone": "403 555 0199", "agree": "on"},
    )
    request = EvaluationRequest.objects.get()
    assert request.answers["age_years"] == age
    assert request.date_of_birth == born
    assert request.outcome == "needs_clearance"


def test_a_future_date_of_birth_is_refused(client, clinic_a):
    import datetime

    data = answers_post()
    data["age_years"] = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page = client.post(reverse("screening:form", args=[clinic_a.slug]), data)
    assert "Enter your real date of birth." in page.content.decode()


def test_unanswered_safety_question_is_an_error_not_a_silent_no(client, clinic_a):
    data = answers_post()
    del data["anticoagulants"]
    response = client.post(reverse("screening:form", args=[clinic_a.slug]), data)
    assert response.status_code == 200
    assert "Please answer yes or no." in response.content.decode()


@pytest.mark.parametrize(
    ("yes", "heading", "cta"),
    [
        ({}, "You may be a good candidate for IMS", "Book an assessment"),
        ({"anticoagulants": True}, "An assessment is possible, with a check first", "Book an"),
        ({"needle_phobia": True}, "IMS is not suitable for you right now", "Instead:"),
    ],
)
def test_result_page_per_outcome(client, clinic_a, yes, heading, cta):
    response = screen(client, clinic_a, **yes)
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert heading in body and cta in body


def test_lymphoedema_ticked_in_a_limb_away_from_the_pain_stays_a_likely_candidate(client, clinic_a):
    data = answers_post()
    data["lymphoedema_limbs"] = ["arm_left"]
    response = client.post(reverse("screening:form", args=[clinic_a.slug]), data)
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "You may be a good candidate for IMS" in body


def test_not_suitable_cannot_reach_booking(client, clinic_a):
    screen(client, clinic_a, lymphoedema_at_pain_site=True)
    response = client.get(reverse("screening:book", args=[clinic_a.slug]))
    assert response["Location"] == reverse("screening:result", args=[clinic_a.slug])


def test_leaving_contact_details_creates_a_request(client, clinic_a):
    screen(client, clinic_a, bleeding_disorder=True)
    response = client.post(
        reverse("screening:contact", args=[clinic_a.slug]),
        {"given_name": "Ruth", "family_name": "Ames", "phone": "403 555 0100", "agree": "on"},
    )
    assert response.status_code == 200
    request = EvaluationRequest.objects.get()
    assert request.outcome == "needs_clearance" and request.status == "new"
    assert request.answers["bleeding_disorder"] is True
    assert request.pain_regions == ["low_back"]


def test_contact_needs_email_or_phone(client, clinic_a):
    screen(client, clinic_a)
    response = client.post(
        reverse("screening:contact", args=[clinic_a.slug]),
        {"given_name": "Ruth", "family_name": "Ames", "agree": "on"},
    )
    assert "Leave an email address or a phone number." in response.content.decode()
    assert not EvaluationRequest.objects.exists()


def test_queue_is_per_clinic(client, bob, carol, clinic_a):
    request = EvaluationRequestFactory(clinic=clinic_a, family_name="Queued")
    client.force_login(bob)
    assert "Queued" in client.get(reverse("screening:requests")).content.decode()
    client.force_login(carol)
    assert "Queued" not in client.get(reverse("screening:requests")).content.decode()
    assert client.get(reverse("screening:request", args=[request.uuid])).status_code == 404


def test_status_change_is_audited(client, bob, clinic_a):
    request = EvaluationRequestFactory(clinic=clinic_a)
    client.force_login(bob)
    client.post(
        reverse("screening:request-status", args=[request.uuid]),
        {"status": "contacted", "note": "Left voicemail"},
    )
    request.refresh_from_db()
    assert request.status == "contacted" and "voicemail" in request.staff_note
    assert AuditEvent.objects.get(action="evaluation_request.status").details["to"] == "contacted"


def test_turn_request_into_patient_links_intake_to_chart(client, bob, clinic_a):
    request = EvaluationRequestFactory(clinic=clinic_a, given_name="Ruth", family_name="Ames")
    client.force_login(bob)
    response = client.post(
        reverse("screening:request-patient", args=[request.uuid]),
        {
            "given_name": "Ruth",
            "family_name": "Ames",
            "date_of_birth": "1971-02-03",
            "sex": "female",
            "phone": "(403) 555-0100",
            "preferred_language": "en",
        },
    )
    patient = Patient.objects.get(family_name="Ames")
    assert response["Location"] == reverse("patients:chart", args=[patient.uuid])
    request.refresh_from_db()
    assert request.patient == patient and request.status == "contacted"
    chart = client.get(response["Location"]).content.decode()
    assert "Self-screening" in chart and "Likely candidate" in chart
    # A second click cannot make a second patient.
    client.post(reverse("screening:request-patient", args=[request.uuid]), {})
    assert Patient.objects.filter(family_name="Ames").count() == 1


def test_today_panel_counts_new_requests(client, bob, clinic_a):
    EvaluationRequestFactory.create_batch(3, clinic=clinic_a)
    EvaluationRequestFactory(clinic=clinic_a, status="declined")
    client.force_login(bob)
    body = client.get(reverse("today")).content.decode()
    assert "<strong>3</strong> new requests" in body


def test_portal_intake_takes_the_age_from_the_patients_record(client, pat, patient_a):
    from django.utils import timezone

    client.force_login(pat)
    page = client.get(reverse("portal:intake")).content.decode()
    assert "What is your date of birth?" not in page
    client.post(reverse("portal:intake"), answers_post())
    request = EvaluationRequest.objects.get(patient=patient_a)
    assert request.answers["age_years"] == patient_a.age_on(timezone.localdate())
    assert request.date_of_birth == patient_a.date_of_birth
