"""Portal invitations go only to the patient, only from clinical roles, and joining needs the
date of birth (issue 13, finding 5)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from imsclinic.accounts.models import User
from imsclinic.audit.models import AuditEvent
from imsclinic.portal.models import JOIN_ATTEMPTS, PortalInvitation
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9"


@pytest.fixture
def newcomer(clinic_a):
    return PatientFactory(
        clinic=clinic_a, email="newcomer@example.org", date_of_birth=datetime.date(1979, 3, 14)
    )


def invite(client, user, patient, capture):
    client.force_login(user)
    with capture(execute=True):
        return client.post(reverse("portal:invite", args=[patient.uuid]), follow=True)


def emailed_join_path(patient):
    (message,) = [m for m in mail.outbox if m.to == [patient.email]]
    link = next(line for line in message.body.splitlines() if "/portal/join/" in line)
    return link[link.index("/portal/join/") :]


def test_front_desk_cannot_invite(client, bob, newcomer, django_capture_on_commit_callbacks):
    response = invite(client, bob, newcomer, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("inviter", ["alice", "olivia"])
def test_the_link_goes_only_to_the_patient_and_is_never_shown_to_staff(
    client, cast, newcomer, django_capture_on_commit_callbacks, inviter
):
    response = invite(client, cast[inviter], newcomer, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Invitation emailed to newcomer@example.org" in page
    path = emailed_join_path(newcomer)
    token = path.strip("/").rsplit("/", 1)[-1]
    assert token not in page and "/portal/join/" not in page
    assert mail.outbox[0].to == ["newcomer@example.org"]
    event = AuditEvent.objects.get(action="portal.invite")
    assert token not in f"{event.summary} {event.details}"


def test_no_email_on_file_means_no_invitation(
    client, alice, clinic_a, django_capture_on_commit_callbacks
):
    patient = PatientFactory(clinic=clinic_a, email="")
    response = invite(client, alice, patient, django_capture_on_commit_callbacks)
    assert "Add the patient&#x27;s email address first" in response.content.decode()
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []


def test_joining_needs_the_date_of_birth(
    client, alice, newcomer, django_capture_on_commit_callbacks
):
    invite(client, alice, newcomer, django_capture_on_commit_callbacks)
    path = emailed_join_path(newcomer)
    client.logout()
    assert "date of birth" in client.get(path).content.decode().lower()
    form = {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    wrong = client.post(path, form | {"date_of_birth": "1980-01-01"})
    assert wrong.status_code == 200
    assert "does not match our records" in wrong.content.decode()
    assert not User.objects.filter(username="newcomer").exists()
    right = client.post(path, form | {"date_of_birth": "1979-03-14"})
    assert right["Location"] == reverse("portal:home")
    newcomer.refresh_from_db()
    assert newcomer.portal_user.username == "newcomer"


def test_repeated_wrong_dates_of_birth_revoke_the_link(
    client, alice, newcomer, django_capture_on_commit_callbacks
):
    invite(client, alice, newcomer, django_capture_on_commit_callbacks)
    path = emailed_join_path(newcomer)
    client.logout()
    form = {"username": "someone", "password1": PASSWORD, "password2": PASSWORD}
    for year in range(JOIN_ATTEMPTS):
        client.post(path, form | {"date_of_birth": f"{1990 + year}-01-01"})
    assert client.get(path).status_code == 404
    refused = client.post(path, form | {"date_of_birth": "1979-03-14"})
    assert refused.status_code == 404
    assert not User.objects.filter(username="someone").exists()
    assert AuditEvent.objects.filter(action="portal.join.failed").count() == JOIN_ATTEMPTS
