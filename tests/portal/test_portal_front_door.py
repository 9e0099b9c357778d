"""Portal: invitation sign-up, booking under the assessment-first rule, cancel within policy."""

import pytest
from django.core import mail
from django.urls import reverse

from imsclinic.patients.models import Patient
from imsclinic.scheduling.models import Appointment, Kind, Status
from tests.factories import AppointmentFactory, PatientFactory
from tests.factories.scheduling import weekdays_open
from tests.scheduling.conftest import at

pytestmark = pytest.mark.django_db


def test_invitation_sign_up_links_the_portal_account(
    client, alice, clinic_a, django_capture_on_commit_callbacks
):
    patient = PatientFactory(clinic=clinic_a, email="new@example.org")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:invite", args=[patient.uuid]))
    link = next(line for line in mail.outbox[0].body.splitlines() if "/portal/join/" in line)
    path = link[link.index("/portal/join/") :]
    client.logout()
    response = client.post(
        path,
        {
            "date_of_birth": patient.date_of_birth.isoformat(),
            "username": "newpatient",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response["Location"] == reverse("portal:home")
    patient.refresh_from_db()
    assert patient.portal_user.username == "newpatient"
    # The link works once.
    client.logout()
    assert client.get(path).status_code == 404


def test_portal_offers_initial_assessment_first_then_treatment(
    client, pat, patient_a, alice, clinic_a
):
    weekdays_open(alice, clinic_a)
    client.force_login(pat)
    assert "Initial assessment" in client.get(reverse("portal:book")).content.decode()
    AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        status=Status.COMPLETED,
        starts_at=at(clinic_a, -7, 9),
    )
    response = client.get(reverse("portal:book"))
    assert response.context["kind"] == Kind.IMS_TREATMENT
    slot = response.context["days"][0][1][0][0]
    client.post(reverse("portal:book"), {"slot": slot})
    booked = Appointment.objects.get(kind=Kind.IMS_TREATMENT)
    assert booked.booked_via == "portal" and booked.patient == patient_a


def test_portal_cancel_within_window_and_not_someone_elses(client, pat, patient_a, alice, clinic_a):
    mine = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 5, 10)
    )
    too_soon = AppointmentFactory(
        clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=at(clinic_a, 0, 23, 30)
    )
    other = AppointmentFactory(clinic=clinic_a, practitioner=alice, starts_at=at(clinic_a, 6, 10))
    client.force_login(pat)
    client.post(reverse("portal:cancel", args=[mine.uuid]))
    client.post(reverse("portal:cancel", args=[too_soon.uuid]))
    assert client.post(reverse("portal:cancel", args=[other.uuid])).status_code == 404
    statuses = {a.pk: a.status for a in Appointment.objects.all()}
    assert statuses == {mine.pk: "cancelled", too_soon.pk: "booked", other.pk: "booked"}


def test_portal_home_shows_appointments_and_intake(client, pat, patient_a, alice, clinic_a):
    AppointmentFactory(clinic=clinic_a, patient=patient_a, practitioner=alice)
    client.force_login(pat)
    body = client.get(reverse("portal:home")).content.decode()
    assert "Your appointments" in body and "Before your visit" in body
    assert "loose" in body.lower() and "Health questionnaire" in body


def test_staff_cannot_use_portal_pages_of_a_patient(client, bob):
    client.force_login(bob)
    assert client.get(reverse("portal:book")).status_code == 403
    assert Patient.objects.count() == 0
