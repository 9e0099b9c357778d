"""Telemedicine: a video visit's link (https only) reaches the patient in the confirmation email,
the .ics (LOCATION and URL), the manage page and the portal, and staff see and set it."""

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from imsclinic.audit.models import AuditEvent
from imsclinic.clinics import actions as admin_actions
from imsclinic.scheduling import actions
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Appointment, Mode, Notification, create_default_services
from tests.factories import AppointmentFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db
ROOM = "https://video.example.org/room/bow-valley-ims"


def _video_service(clinic, olivia, url=ROOM):
    service = next(s for s in create_default_services(clinic) if s.mode == Mode.VIDEO)
    return admin_actions.update_service(service=service, by=olivia, video_url=url)


def _event(message):
    name, content, _ = message.attachments[0]
    assert name == "appointment.ics"
    return Calendar.from_ical(content).walk("VEVENT")[0]


def test_a_booking_of_a_video_service_carries_its_room_to_email_and_ics(
    clinic_a, alice, bob, olivia, patient_a, open_hours, django_capture_on_commit_callbacks
):
    service = _video_service(clinic_a, olivia)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = actions.book_appointment(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            kind=service.kind,
            service=service,
            starts_at=at(clinic_a, 3, 10),
            by=bob,
        )
    assert appointment.video_url == ROOM
    (message,) = mail.outbox
    assert ROOM in message.body and "will send you the link" not in message.body
    event = _event(message)
    assert str(event["url"]) == ROOM and ROOM in str(event["location"])


def test_staff_see_and_set_the_link_and_the_patient_is_emailed_it(
    client, clinic_a, alice, bob, patient_a, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, patient=patient_a, mode=Mode.VIDEO
    )
    client.force_login(bob)
    url = reverse("scheduling:appointment", args=[appointment.uuid])
    page = client.get(url).content.decode()
    assert "None yet" in page and "Add the video link" in page
    post_url = reverse("scheduling:appointment-video-link", args=[appointment.uuid])
    refused = client.post(post_url, {"video_url": "http://video.example.org/room"})
    assert refused.status_code == 400
    assert "https://" in refused.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).video_url == ""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(post_url, {"video_url": ROOM})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.video_url == ROOM and appointment.calendar_sequence == 1
    (message,) = mail.outbox
    assert message.subject.startswith("Video link:") and ROOM in message.body
    assert str(_event(message)["url"]) == ROOM
    assert Notification.objects.get(appointment=appointment).kind == "video_link"
    assert AuditEvent.objects.filter(action="appointment.video_link").count() == 1
    page = client.get(url).content.decode()
    assert f'href="{ROOM}"' in page and "Video link (" not in page


def test_only_a_booked_video_visit_has_a_link(clinic_a, alice, bob, patient_a):
    in_clinic = AppointmentFactory(clinic=clinic_a, practitioner=alice, patient=patient_a)
    with pytest.raises(BookingError, match="Only a video visit"):
        actions.set_video_link(appointment=in_clinic, video_url=ROOM, by=bob, notify=False)
    video = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, patient=patient_a, mode=Mode.VIDEO
    )
    for bad in ("javascript:alert(1)", "ftp://video.example.org/x", "video.example.org/x"):
        with pytest.raises(BookingError, match="https://"):
            actions.set_video_link(appointment=video, video_url=bad, by=bob, notify=False)
    assert not AuditEvent.objects.filter(action="appointment.video_link").exists()


def test_a_service_link_is_https_and_only_on_a_video_service(clinic_a, olivia):
    treatment = next(s for s in create_default_services(clinic_a) if s.mode != Mode.VIDEO)
    with pytest.raises(admin_actions.AdminError, match="Only a video service"):
        admin_actions.update_service(service=treatment, by=olivia, video_url=ROOM)
    with pytest.raises(admin_actions.AdminError, match="https://"):
        _video_service(clinic_a, olivia, url="http://video.example.org/room")


def test_a_move_keeps_the_link(
    clinic_a, alice, bob, patient_a, open_hours, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=patient_a,
        mode=Mode.VIDEO,
        video_url=ROOM,
        starts_at=at(clinic_a, 3, 10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        (moved,) = actions.reschedule(
            appointment=appointment, starts_at=at(clinic_a, 4, 11), by=bob
        )
    assert moved.video_url == ROOM
    assert ROOM in mail.outbox[-1].body


def test_the_portal_shows_the_link(client, clinic_a, alice, pat, patient_a):
    AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        patient=patient_a,
        mode=Mode.VIDEO,
        video_url=ROOM,
        starts_at=at(clinic_a, 5, 10),
    )
    client.force_login(pat)
    page = client.get(reverse("portal:home")).content.decode()
    assert f'href="{ROOM}"' in page and "join the video visit" in page


def test_an_online_video_booking_gets_the_clinic_room_and_the_manage_page_shows_it(
    client, clinic_a, alice, olivia, django_capture_on_commit_callbacks
):
    import re

    from tests.factories.scheduling import weekdays_open
    from tests.screening.test_booking_front_door import book

    _video_service(clinic_a, olivia)
    weekdays_open(alice, clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert book(client, clinic_a, mode="video").status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.mode == Mode.VIDEO and appointment.video_url == ROOM
    message = mail.outbox[-1]
    assert ROOM in message.body and str(_event(message)["url"]) == ROOM
    link = re.search(r"http://\S+/manage/\S+/", message.body).group(0)
    page = client.get(link.removeprefix("http://127.0.0.1:8000")).content.decode()
    assert f'href="{ROOM}"' in page


@pytest.mark.parametrize(
    "link",
    [
        "https://video.example.org/room\u0085",  # NEL: whitespace to Python, not to JSON Schema
        "https://video.example.org/\ufeffroom",  # BOM: whitespace to JSON Schema, not to Python
        "https://video.example.org/my room",
        "http://video.example.org/room",
    ],
)
def test_the_api_refuses_a_link_its_schema_refuses_and_saves_nothing(
    client, clinic_a, alice, bob, patient_a, link
):
    """The schema's pattern means the same to every client: a link that is not printable ASCII
    after https:// is a 422 naming the field, and the visit keeps no link."""
    appointment = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, patient=patient_a, mode=Mode.VIDEO
    )
    client.force_login(bob)
    url = f"/api/v1/scheduling/appointments/{appointment.uuid}/video-link"
    refused = client.post(url, data={"video_url": link}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "video_url"
    appointment.refresh_from_db()
    assert not appointment.video_url
    accepted = client.post(url, data={"video_url": ROOM}, content_type="application/json")
    assert accepted.status_code == 200, accepted.content
    appointment.refresh_from_db()
    assert appointment.video_url == ROOM
