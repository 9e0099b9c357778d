"""The waitlist pages and API: add, edit, filter, withdraw; the matches of a cancelled visit
with one-click booking and the offer; the patient's accept page; the JSON API."""

import pytest
from django.core import mail

from imsclinic.audit.models import AuditEvent, ChartAccess
from imsclinic.scheduling import actions as booking
from imsclinic.scheduling.models import Appointment, Kind, Status
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.models import EntryStatus, WaitlistEntry
from imsclinic.scheduling.waitlist.offers import offer_url
from tests.factories import PatientFactory, ServiceFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(clinic_a):
    return ServiceFactory(
        clinic=clinic_a,
        name="Initial IMS assessment",
        kind=Kind.INITIAL_ASSESSMENT,
        duration_minutes=60,
    )


def _add(clinic, patient, service, by, **fields):
    return actions.add_entry(
        clinic=clinic,
        patient=patient,
        service=service,
        earliest_date=clinic.today(),
        by=by,
        **fields,
    )


def test_front_desk_adds_a_patient_and_sees_the_list(client, bob, clinic_a, patient_a, assessment):
    client.force_login(bob)
    page = client.get(f"/schedule/waitlist/add/?patient={patient_a.uuid}")
    assert page.status_code == 200 and b"Add to the waitlist" in page.content
    refused = client.post(
        "/schedule/waitlist/add/",
        {"patient": patient_a.uuid, "service": assessment.uuid, "earliest_date": "2020-01-01"},
    )
    assert refused.status_code == 200
    assert "Tick at least one day." in refused.content.decode()
    assert not WaitlistEntry.objects.exists()
    saved = client.post(
        "/schedule/waitlist/add/",
        {
            "patient": patient_a.uuid,
            "service": assessment.uuid,
            "days": ["1", "4"],
            "day_parts": ["1"],
            "earliest_date": clinic_a.today().isoformat(),
            "notes": "Can come at short notice",
        },
        follow=True,
    )
    assert "Patricia Nguyen is on the waitlist." in saved.content.decode()
    entry = WaitlistEntry.objects.get()
    assert entry.days == 0b101 and entry.day_parts == 1 and entry.added_by == bob
    text = client.get("/schedule/waitlist/").content.decode()
    assert "Patricia Nguyen" in text and "Mon, Wed · Mornings" in text
    assert "Patricia" not in client.get("/schedule/waitlist/?status=booked").content.decode()
    assert "Patricia" in client.get("/schedule/waitlist/?q=Nguyen").content.decode()


def test_edit_and_withdraw(client, bob, clinic_a, patient_a, assessment):
    entry = _add(clinic_a, patient_a, assessment, bob)
    client.force_login(bob)
    before = ChartAccess.objects.count()
    assert client.get(f"/schedule/waitlist/{entry.uuid}/").status_code == 200
    assert ChartAccess.objects.count() == before + 1
    response = client.post(
        f"/schedule/waitlist/{entry.uuid}/",
        {
            "service": assessment.uuid,
            "days": ["1"],
            "day_parts": ["2", "4"],
            "earliest_date": clinic_a.today().isoformat(),
            "notes": "Afternoons now",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.day_parts == 6 and entry.notes == "Afternoons now"
    client.post(f"/schedule/waitlist/{entry.uuid}/withdraw/", {"reason": "Feeling better"})
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN and entry.close_reason == "Feeling better"


def test_a_cancelled_visit_shows_its_waiters_and_books_one_in_one_click(
    client, alice, bob, clinic_a, open_hours, assessment
):
    start = at(clinic_a, 3, 10)
    visit = booking.book_appointment(
        clinic=clinic_a,
        patient=PatientFactory(clinic=clinic_a),
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        starts_at=start,
        by=bob,
        notify=False,
    )
    booking.cancel_appointment(appointment=visit, by=bob)
    waiter = PatientFactory(clinic=clinic_a, given_name="Wanda", family_name="Early")
    entry = _add(clinic_a, waiter, assessment, bob)
    client.force_login(bob)
    detail = client.get(f"/schedule/appointments/{visit.uuid}/").content.decode()
    assert "Fill this time from the waitlist" in detail
    local = start.astimezone(clinic_a.tz)
    url = f"/schedule/waitlist/matches/?practitioner={alice.uuid}&start={local:%Y-%m-%dT%H:%M}"
    panel = client.get(url + "&panel=1").content.decode()
    assert "Book Wanda Early" in panel and "<html" not in panel
    response = client.post(
        f"/schedule/waitlist/{entry.uuid}/book/",
        {"practitioner": alice.uuid, "start": f"{local:%Y-%m-%dT%H:%M}"},
    )
    booked = Appointment.objects.get(patient=waiter)
    assert response.status_code == 302 and response.url == f"/schedule/appointments/{booked.uuid}/"
    assert booked.starts_at == start and booked.status == Status.BOOKED
    again = client.post(
        f"/schedule/waitlist/{entry.uuid}/book/",
        {"practitioner": alice.uuid, "start": f"{local:%Y-%m-%dT%H:%M}"},
        follow=True,
    )
    assert "Nothing was booked. This waitlist entry is booked" in again.content.decode()
    assert "This time is not free now" in client.get(url).content.decode()


def test_bad_slot_input_gets_a_message_not_an_error(client, bob, clinic_a):
    client.force_login(bob)
    for query in ("", "?practitioner=nope&start=x", f"?practitioner={bob.uuid}&start=2026-01-01"):
        response = client.get("/schedule/waitlist/matches/" + query)
        assert response.status_code == 200
        assert "Choose one of this clinic&#x27;s practitioners." in response.content.decode()


def test_offer_from_the_page_and_accept_from_the_link(
    client, alice, bob, clinic_a, open_hours, assessment, django_capture_on_commit_callbacks
):
    start = at(clinic_a, 3, 10)
    local = start.astimezone(clinic_a.tz)
    one = _add(clinic_a, PatientFactory(clinic=clinic_a, given_name="Una"), assessment, bob)
    two = _add(clinic_a, PatientFactory(clinic=clinic_a, given_name="Tom"), assessment, bob)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/schedule/waitlist/offer/",
            {
                "practitioner": alice.uuid,
                "start": f"{local:%Y-%m-%dT%H:%M}",
                "entry": [str(one.uuid), str(two.uuid)],
                "hours": "4",
                "email": "on",
            },
            follow=True,
        )
    assert "Offer sent to 2 people." in response.content.decode()
    assert len(mail.outbox) == 2
    client.logout()
    first, second = (r for r in one.offers.all()), (r for r in two.offers.all())
    first, second = next(first), next(second)
    link = offer_url(first).split("testserver")[-1].replace("http://127.0.0.1:8000", "")
    page = client.get(link).content.decode()
    assert "Confirm this time" in page and "Initial IMS assessment" in page
    assert "You are booked" in client.post(link).content.decode()
    other = offer_url(second).replace("http://127.0.0.1:8000", "")
    taken = client.get(other).content.decode()
    assert "Sorry, this time was taken" in taken and "Confirm this time" not in taken
    assert "Sorry, this time was taken" in client.post(other).content.decode()
    assert Appointment.objects.active().filter(starts_at=start).count() == 1
    assert client.get("/schedule/waitlist/offer/forged/").status_code == 404


# ---- JSON API -------------------------------------------------------------------------------
def test_api_create_list_match_book_withdraw(
    client, alice, bob, clinic_a, open_hours, assessment, patient_a
):
    client.force_login(bob)
    created = client.post(
        "/api/v1/scheduling/waitlist",
        {"patient": str(patient_a.uuid), "service": str(assessment.uuid), "day_parts": ["morning"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["days"] == [0, 1, 2, 3, 4] and body["day_parts"] == ["morning"]
    duplicate = client.post(
        "/api/v1/scheduling/waitlist",
        {"patient": str(patient_a.uuid), "service": str(assessment.uuid)},
        content_type="application/json",
    )
    assert duplicate.status_code == 409 and "already waiting" in duplicate.json()["detail"]
    listed = client.get("/api/v1/scheduling/waitlist").json()
    assert [e["uuid"] for e in listed["items"]] == [body["uuid"]]
    start = at(clinic_a, 3, 10)
    while start.astimezone(clinic_a.tz).weekday() > 4:
        start = start + __import__("datetime").timedelta(days=1)
    found = client.get(
        "/api/v1/scheduling/waitlist/matches",
        {"practitioner": str(alice.uuid), "starts_at": start.isoformat()},
    ).json()
    assert found["free"] and [m["patient_name"] for m in found["matches"]] == ["Patricia Nguyen"]
    refused = client.post(
        f"/api/v1/scheduling/waitlist/{body['uuid']}/book",
        {"starts_at": start.isoformat()},
        content_type="application/json",
    )
    assert refused.status_code == 422  # waits for any practitioner: say which
    booked = client.post(
        f"/api/v1/scheduling/waitlist/{body['uuid']}/book",
        {"starts_at": start.isoformat(), "practitioner": str(alice.uuid)},
        content_type="application/json",
    )
    assert booked.status_code == 201 and booked.json()["patient"] == str(patient_a.uuid)
    closed = client.post(
        f"/api/v1/scheduling/waitlist/{body['uuid']}/withdraw", {}, content_type="application/json"
    )
    assert closed.status_code == 409 and closed.json()["code"] == "closed"
    assert AuditEvent.objects.filter(action="waitlist.book").count() == 1
