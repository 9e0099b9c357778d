"""Staff schedule pages: day view, booking form (single and course), status buttons, Today."""

import re

import pytest
from django.urls import reverse

from imsclinic.scheduling.models import Appointment, AppointmentSeries, Kind, Status
from tests.factories import AppointmentFactory, PatientFactory
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def booking(patient, practitioner, day, **extra):
    return {
        "patient": str(patient.uuid),
        "practitioner": str(practitioner.uuid),
        "kind": Kind.INITIAL_ASSESSMENT,
        "mode": "in_clinic",
        "date": day.isoformat(),
        "time": "10:00",
        "repeat": 1,
        "interval_days": 7,
        **extra,
    }


def test_front_desk_books_from_the_form(client, bob, alice, patient_a, clinic_a, open_hours):
    client.force_login(bob)
    day = at(clinic_a, 3, 10).date()
    response = client.post(reverse("scheduling:book"), booking(patient_a, alice, day))
    assert response["Location"] == reverse("patients:chart", args=[patient_a.uuid])
    appointment = Appointment.objects.get()
    local = appointment.starts_at.astimezone(clinic_a.tz)
    assert (local.date(), local.hour) == (day, 10)


def test_form_refuses_needling_before_assessment_with_a_message(
    client, bob, alice, patient_a, clinic_a, open_hours
):
    client.force_login(bob)
    response = client.post(
        reverse("scheduling:book"),
        booking(patient_a, alice, at(clinic_a, 3, 10).date(), kind=Kind.IMS_TREATMENT),
    )
    assert response.status_code == 200
    assert "no completed initial assessment" in response.content.decode()
    assert not Appointment.objects.exists()


def test_course_form_shows_conflicts_with_alternatives(
    client, bob, alice, patient_a, clinic_a, open_hours
):
    AppointmentFactory(
        clinic=clinic_a,
        practitioner=alice,
        kind=Kind.INITIAL_ASSESSMENT,
        patient=patient_a,
        status=Status.COMPLETED,
        starts_at=at(clinic_a, -3, 9),
    )
    AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 9, 10))
    client.force_login(bob)
    response = client.post(
        reverse("scheduling:book"),
        booking(patient_a, alice, at(clinic_a, 2, 10).date(), kind=Kind.IMS_TREATMENT, repeat=6),
    )
    body = response.content.decode()
    assert "These dates are not free" in body and "Visit 2" in body
    assert not AppointmentSeries.objects.exists()
    # Each alternative is a button of the booking form: clicking one books the whole course
    # with that time for the taken date.
    alternative = re.search(r'name="replace_1" value="([0-9T:-]+)"', body).group(1)
    response = client.post(
        reverse("scheduling:book"),
        booking(
            patient_a,
            alice,
            at(clinic_a, 2, 10).date(),
            kind=Kind.IMS_TREATMENT,
            repeat=6,
            replace_1=alternative,
        ),
    )
    assert response.status_code == 302
    starts = [
        a.starts_at.astimezone(clinic_a.tz).strftime("%Y-%m-%dT%H:%M")
        for a in AppointmentSeries.objects.get().appointments.order_by("starts_at")
    ]
    assert len(starts) == 6 and starts[1] == alternative


def test_day_view_and_today_panel_show_appointments(client, alice, bob, clinic_a, open_hours):
    mine = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 0, 23))
    client.force_login(alice)
    body = client.get(reverse("today")).content.decode()
    assert "Your appointments today" in body and mine.patient.full_name in body
    day = client.get(reverse("scheduling:day"), {"date": clinic_a.today().isoformat()})
    assert mine.patient.full_name in day.content.decode()
    client.force_login(bob)
    assert "Appointments today" in client.get(reverse("today")).content.decode()


def test_today_lists_the_clinic_day_in_the_same_queries_however_many(client, alice, bob, clinic_a):
    """The panel loads only the columns a row prints (scheduling/today.py ROW_FIELDS): a field
    a row needs but the query left out would cost a query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(bob)

    def today():
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("today")).content.decode()
        return body, len(queries)

    first = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 0, 23))
    today()  # the first request of a session reads what later ones have cached
    _, one = today()
    more = [
        AppointmentFactory(
            clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 0, 23, 5 * i)
        )
        for i in range(1, 6)
    ]
    body, six = today()
    assert six == one
    for appointment in [first, *more]:
        assert appointment.patient.full_name in body
        assert str(appointment.patient.uuid) in body and str(appointment.uuid) in body
    assert "Alice Practitioner" in body


def test_a_busy_day_shows_the_visits_still_in_play_and_points_to_the_schedule(
    client, alice, bob, clinic_a
):
    """Past TODAY_LIMIT visits the earliest finished ones leave the panel first; the panel says
    how many the day has and links the schedule, which lists them all."""
    import datetime

    from imsclinic.scheduling.today import TODAY_LIMIT

    first_start = at(clinic_a, 0, 6)
    day = [
        AppointmentFactory(
            clinic=clinic_a,
            practitioner=alice,
            starts_at=first_start + datetime.timedelta(minutes=20 * i),
            status=Status.COMPLETED if i < 3 else Status.BOOKED,
        )
        for i in range(TODAY_LIMIT + 2)
    ]
    client.force_login(bob)
    body = client.get(reverse("today")).content.decode()
    hidden, shown = day[:2], day[2:]
    assert all(str(a.uuid) not in body for a in hidden)
    assert all(str(a.uuid) in body for a in shown)
    assert f"Showing {TODAY_LIMIT} of today's {TODAY_LIMIT + 2} appointments" in body
    schedule = client.get(reverse("scheduling:day")).content.decode()
    assert all(str(a.uuid) in schedule for a in day)


def test_a_day_that_fits_keeps_its_finished_visits_and_says_nothing_more(
    client, alice, bob, clinic_a
):
    done = AppointmentFactory(
        clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 0, 7), status=Status.COMPLETED
    )
    client.force_login(bob)
    body = client.get(reverse("today")).content.decode()
    assert str(done.uuid) in body and "Showing" not in body


@pytest.mark.parametrize(
    "statuses, limit, expected",
    [
        (["completed", "booked"], 2, [0, 1]),
        (["completed", "no_show", "booked", "completed", "booked"], 3, [2, 3, 4]),
        (["booked", "completed", "booked", "booked"], 3, [0, 2, 3]),
        (["booked", "arrived", "in_session", "booked"], 2, [0, 1]),
        (["completed", "booked", "booked", "booked"], 2, [1, 2]),
    ],
)
def test_visits_in_play_drops_the_earliest_finished_then_the_latest(statuses, limit, expected):
    from imsclinic.scheduling.today import visits_in_play

    day_list = [(pk, status) for pk, status in enumerate(statuses)]
    assert visits_in_play(day_list, limit=limit) == expected


def test_status_buttons_move_the_appointment(client, bob, alice, clinic_a):
    appointment = AppointmentFactory(clinic=clinic_a, practitioner=alice)
    client.force_login(bob)
    url = reverse("scheduling:appointment-status", args=[appointment.uuid])
    client.post(url, {"status": "arrived", "next": "/today/"})
    client.post(url, {"status": "completed"})  # not allowed from arrived
    appointment.refresh_from_db()
    assert appointment.status == Status.ARRIVED


def test_other_clinic_cannot_see_or_change_appointments(client, carol, alice, clinic_a):
    appointment = AppointmentFactory(clinic=clinic_a, practitioner=alice)
    client.force_login(carol)
    assert client.get(reverse("scheduling:appointment", args=[appointment.uuid])).status_code == 404
    url = reverse("scheduling:appointment-status", args=[appointment.uuid])
    assert client.post(url, {"status": "arrived"}).status_code == 404
    assert (
        client.get(
            reverse("scheduling:book"), {"patient": str(PatientFactory(clinic=clinic_a).uuid)}
        ).status_code
        == 404
    )


def test_only_clinic_admin_edits_instructions(client, olivia, alice, clinic_a):
    client.force_login(alice)
    assert client.get(reverse("scheduling:instructions")).status_code == 403
    client.force_login(olivia)
    form = client.get(reverse("scheduling:instructions")).context["form"]
    data = {**form.initial, "aftercare": "Keep moving. Seek urgent care for chest pain."}
    client.post(reverse("scheduling:instructions"), data)
    from imsclinic.scheduling.instructions import instruction_text

    assert instruction_text(clinic_a, "aftercare").startswith("Keep moving.")
    assert "loose" in instruction_text(clinic_a, "before_visit").lower()


def test_default_aftercare_mentions_thorax_warning(clinic_a):
    from imsclinic.scheduling.instructions import instruction_text

    text = instruction_text(clinic_a, "aftercare").lower()
    assert (
        "24 to 36 hours" in text
        and "24 to 48 hours" in text
        and "chest pain" in text
        and "shortness of breath" in text
    )
