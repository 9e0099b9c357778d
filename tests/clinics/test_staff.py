"""Staff administration: invitations by email, roles per clinic, credentials, offboarding."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client

from imsclinic.accounts.models import Membership, NeedlingAuthorisation, Role, User
from imsclinic.audit.models import AuditEvent
from imsclinic.clinics import actions
from imsclinic.gateway import actions as gateway_actions
from imsclinic.scheduling import actions as scheduling_actions
from tests.factories import ClinicFactory, MembershipFactory, ProfessionalRegistrationFactory

pytestmark = pytest.mark.django_db


def staff_url(clinic, *rest):
    return "/".join([f"/clinic-admin/{clinic.uuid}/staff", *rest]) + "/"


def test_inviting_emails_a_one_time_link_never_shown_on_screen(client, olivia, clinic_a):
    client.force_login(olivia)
    response = client.post(
        staff_url(clinic_a),
        {
            "email": "nora@example.org",
            "first_name": "Nora",
            "last_name": "New",
            "role": "practitioner",
        },
        follow=True,
    )
    assert response.status_code == 200
    nora = User.objects.get(email="nora@example.org")
    assert not nora.has_usable_password()
    assert nora.has_role(clinic_a, Role.PRACTITIONER)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nora@example.org"]
    link = re.search(r"http://testserver(/clinic-admin/invitation/\S+)", mail.outbox[0].body)[1]
    assert link.encode() not in response.content
    assert "Invitation emailed to nora@example.org" in response.content.decode()
    assert AuditEvent.objects.filter(action="staff.invite").count() == 1

    newcomer = Client()
    form_page = newcomer.get(link, follow=True)
    assert b"choose your password" in form_page.content
    set_password_url = form_page.redirect_chain[-1][0]
    done = newcomer.post(
        set_password_url,
        {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    nora.refresh_from_db()
    assert nora.check_password("a long new passphrase 42")
    assert AuditEvent.objects.filter(action="staff.invitation.accept").count() == 1
    # The link works once.
    again = Client().get(link, follow=True)
    assert b"no longer works" in again.content


def test_a_password_reset_token_is_not_an_invitation(client, olivia, clinic_a):
    from django.contrib.auth.tokens import default_token_generator

    user, _ = actions.invite_staff(
        clinic=clinic_a,
        email="x@example.org",
        first_name="X",
        last_name="Y",
        role="front_desk",
        by=olivia,
    )
    path = actions.invitation_path(user)
    forged = path.rsplit("/", 2)[0] + f"/{default_token_generator.make_token(user)}/"
    assert b"no longer works" in Client().get(forged, follow=True).content


def test_invite_form_errors_are_shown_and_nothing_is_saved(client, olivia, clinic_a):
    client.force_login(olivia)
    response = client.post(
        staff_url(clinic_a), {"email": "not-an-email", "first_name": "", "role": "owner"}
    )
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert not mail.outbox
    assert User.objects.count() == 1  # olivia only


def test_only_the_clinic_admin_may_invite(alice, bob, clinic_a):
    for person in (alice, bob):
        with pytest.raises(actions.PermissionDenied):
            actions.invite_staff(
                clinic=clinic_a,
                email="z@example.org",
                first_name="Z",
                last_name="Z",
                role="practitioner",
                by=person,
            )
    assert not User.objects.filter(email="z@example.org").exists()


def test_roles_are_set_per_clinic_and_audited(client, olivia, alice, clinic_a):
    client.force_login(olivia)
    response = client.post(
        staff_url(clinic_a, str(alice.uuid), "roles"), {"roles": ["practitioner", "clinic_admin"]}
    )
    assert response.status_code == 302
    assert set(
        Membership.objects.filter(user=alice, clinic=clinic_a, is_active=True).values_list(
            "role", flat=True
        )
    ) == {
        "practitioner",
        "clinic_admin",
    }
    event = AuditEvent.objects.get(action="staff.roles")
    assert event.details == {"before": ["practitioner"], "after": ["clinic_admin", "practitioner"]}


def test_the_last_clinic_admin_cannot_be_removed(client, olivia, clinic_a):
    client.force_login(olivia)
    response = client.post(
        staff_url(clinic_a, str(olivia.uuid), "roles"), {"roles": ["practitioner"]}
    )
    assert response.status_code == 400
    assert "must keep at least one clinic admin" in response.content.decode()
    assert olivia.memberships.get(role=Role.CLINIC_ADMIN).is_active
    assert not Membership.objects.filter(user=olivia, role=Role.PRACTITIONER).exists()
    assert not AuditEvent.objects.filter(action="staff.roles").exists()


def test_an_owner_of_two_clinics_manages_each(client, olivia, clinic_a):
    clinic_c = ClinicFactory(name="Second Clinic", slug="second")
    MembershipFactory(user=olivia, clinic=clinic_c, role=Role.CLINIC_ADMIN)
    client.force_login(olivia)
    index = client.get("/clinic-admin/")
    assert index.status_code == 200
    assert b"Second Clinic" in index.content and clinic_a.name.encode() in index.content
    assert client.get(staff_url(clinic_c)).status_code == 200


def test_a_practitioner_elsewhere_does_not_make_you_admin_here(client, alice, clinic_a, clinic_b):
    MembershipFactory(user=alice, clinic=clinic_b, role=Role.CLINIC_ADMIN)
    client.force_login(alice)
    assert client.get(staff_url(clinic_a)).status_code == 403
    assert client.get(staff_url(clinic_b)).status_code == 200


def test_offboarding_ends_sessions_tokens_and_feeds(client, olivia, alice, clinic_a, patient_a):
    _, raw = gateway_actions.create_personal_token(user=alice, by=alice, name="Scripts")
    feed = scheduling_actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    alices_browser = Client()
    alices_browser.force_login(alice)
    assert alices_browser.get("/patients/").status_code == 200

    client.force_login(olivia)
    response = client.post(staff_url(clinic_a, str(alice.uuid), "offboard"))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert alices_browser.get("/patients/").status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/patients").status_code == 401
    assert Client().get(f"/schedule/feed/{feed}.ics").status_code == 404
    assert AuditEvent.objects.filter(action="staff.offboard").count() == 1
    # Reopening the account would not revive the old session: it was deleted, not just ignored.
    alice.is_active = True
    alice.save()
    assert alices_browser.get("/patients/").status_code == 302


def test_offboarding_someone_who_works_elsewhere_keeps_their_account(
    olivia, alice, clinic_a, clinic_b
):
    MembershipFactory(user=alice, clinic=clinic_b, role=Role.PRACTITIONER)
    assert actions.offboard_staff(clinic=clinic_a, user=alice, by=olivia) is False
    alice.refresh_from_db()
    assert alice.is_active
    assert not alice.has_role(clinic_a, Role.PRACTITIONER)


def test_you_cannot_offboard_yourself(olivia, clinic_a):
    with pytest.raises(actions.AdminError):
        actions.offboard_staff(clinic=clinic_a, user=olivia, by=olivia)


def test_expiry_warnings_start_30_days_ahead(client, olivia, alice, clinic_a):
    today = clinic_a.today()
    NeedlingAuthorisation.objects.filter(user=alice).update(
        expires_on=today + datetime.timedelta(days=30)
    )
    ProfessionalRegistrationFactory(
        user=alice, regulator="College Far Away", expires_on=today + datetime.timedelta(days=31)
    )
    client.force_login(olivia)
    page = client.get(staff_url(clinic_a)).content.decode()
    assert "authorisation in CA-AB" in page and "(in 30 days)" in page
    assert "College Far Away" not in page
    # A renewal silences the warning.
    auth = NeedlingAuthorisation.objects.filter(user=alice).first()
    actions.add_authorisation(
        clinic=clinic_a,
        user=alice,
        by=olivia,
        jurisdiction=auth.jurisdiction,
        authority=auth.authority,
        number="RENEWED-1",
        modality=auth.modality,
        issued_on=today,
        expires_on=today + datetime.timedelta(days=700),
    )
    assert "authorisation in CA-AB" not in client.get(staff_url(clinic_a)).content.decode()


def test_recording_a_registration_is_audited_and_validated(client, olivia, alice, clinic_a):
    client.force_login(olivia)
    url = staff_url(clinic_a, str(alice.uuid), "registrations")
    ok = client.post(
        url,
        {
            "profession": "Physiotherapist",
            "regulator": "CPTBC",
            "jurisdiction": "CA-BC",
            "number": "123",
            "expires_on": "2030-01-31",
        },
    )
    assert ok.status_code == 302
    assert alice.registrations.filter(regulator="CPTBC", number="123").exists()
    duplicate = client.post(
        url,
        {
            "profession": "Physiotherapist",
            "regulator": "CPTBC",
            "jurisdiction": "CA-BC",
            "number": "123",
        },
    )
    assert duplicate.status_code == 400
    assert "already" in duplicate.content.decode()
    assert AuditEvent.objects.filter(action="staff.registration.add").count() == 1


def test_the_admins_today_warns_of_expiring_credentials(client, olivia, alice, bob, clinic_a):
    today = clinic_a.today()
    NeedlingAuthorisation.objects.filter(user=alice).update(
        expires_on=today + datetime.timedelta(days=10)
    )
    client.force_login(olivia)
    page = client.get("/today/").content.decode()
    assert "Registrations and authorisations to renew" in page
    assert "Alice Practitioner:" in page and "(in 10 days)" in page
    client.force_login(bob)
    assert "to renew" not in client.get("/today/").content.decode()
