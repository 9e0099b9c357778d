"""The three reads of every signed-in request, written as plain SQL for the floor's CPU (issue 14):
the session (core/sessions.py), the user with their 2FA flags (accounts/backends.py) and the
roles with their clinics (User._load_memberships). They must read exactly what the ORM read, and
every change to a session, an account or a role must still be seen by the very next request.
"""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from imsclinic.accounts.backends import UsernameOrEmailBackend, signed_in_user
from imsclinic.accounts.models import Role, User
from imsclinic.core.sessions import SessionStore
from tests.factories import ClinicFactory, MembershipFactory

pytestmark = pytest.mark.django_db

TODAY = "/today/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _same_cookie(client: Client) -> Client:
    """A second browser holding the same session cookie (or the same browser on another
    worker): it shares nothing with the first but the database."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return other


def _is_signed_in(client: Client) -> bool:
    response = client.get(TODAY)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return False


# --- The session --------------------------------------------------------------------------------


def test_a_stored_session_reads_back_what_was_saved(alice):
    store = SessionStore()
    store["note"] = {"numbers": [1, 2], "text": "é"}
    store.create()
    assert SessionStore(store.session_key).load() == {"note": {"numbers": [1, 2], "text": "é"}}


def test_an_expired_session_row_is_not_read_and_its_key_not_reused(alice):
    store = SessionStore()
    store["note"] = "kept"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None


def test_an_unknown_session_key_reads_as_empty(alice):
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


def test_sign_out_ends_the_session_for_every_holder_of_its_cookie(alice):
    client = _signed_in(alice)
    other = _same_cookie(client)
    assert _is_signed_in(other)
    client.post(reverse("logout"))
    assert not _is_signed_in(other)


def test_an_expired_session_is_signed_out(alice):
    client = _signed_in(alice)
    assert _is_signed_in(client)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert not _is_signed_in(client)


# --- The user and their second factor -------------------------------------------------------------


def test_the_signed_in_user_is_the_account_as_the_orm_reads_it(alice):
    alice.last_login = timezone.now()
    alice.save()
    loaded = signed_in_user(UsernameOrEmailBackend(), alice.pk)
    expected = User.objects.get(pk=alice.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.last_login.tzinfo is not None
    assert (loaded.has_confirmed_totp, loaded.has_confirmed_static) == (False, False)


@pytest.mark.parametrize(
    ("model", "confirmed", "flags"),
    [
        (TOTPDevice, True, (True, False)),
        (TOTPDevice, False, (False, False)),
        (StaticDevice, True, (False, True)),
        (StaticDevice, False, (False, False)),
    ],
)
def test_the_second_factor_flags_follow_confirmed_devices(alice, bob, model, confirmed, flags):
    model.objects.create(user=alice, name="device", confirmed=confirmed)
    model.objects.create(user=bob, name="someone else's", confirmed=True)  # never alice's
    loaded = signed_in_user(UsernameOrEmailBackend(), alice.pk)
    assert (loaded.has_confirmed_totp, loaded.has_confirmed_static) == flags
    assert loaded.has_confirmed_device() is any(flags)


def test_no_such_user_is_no_one(alice):
    assert signed_in_user(UsernameOrEmailBackend(), alice.pk + 1000) is None


def test_a_deactivated_account_is_signed_out_on_the_next_request(alice):
    client = _signed_in(alice)
    assert _is_signed_in(client)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert not _is_signed_in(client)


def test_a_password_change_ends_the_other_sessions(alice):
    elsewhere = _signed_in(alice)
    assert _is_signed_in(elsewhere)
    alice.set_password("a-brand-new-long-password-7")
    alice.save()
    assert not _is_signed_in(elsewhere)
    assert SESSION_KEY not in elsewhere.session


# --- Roles and their clinics ------------------------------------------------------------------


def test_roles_and_clinics_are_the_active_memberships(alice, clinic_a):
    clinic_b = ClinicFactory(slug="second", policies={"reminders": {"days": [1, 2]}})
    MembershipFactory(user=alice, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    MembershipFactory(user=alice, clinic=clinic_b, role=Role.FRONT_DESK)
    MembershipFactory(
        user=alice, clinic=ClinicFactory(slug="former"), role=Role.PRACTITIONER, is_active=False
    )
    user = User.objects.get(pk=alice.pk)
    assert user.roles_by_clinic() == {
        clinic_a.pk: {Role.PRACTITIONER, Role.CLINIC_ADMIN},
        clinic_b.pk: {Role.FRONT_DESK},
    }
    clinics = user.staff_clinics()
    assert set(clinics) == {clinic_a.pk, clinic_b.pk}
    assert clinics[clinic_b.pk].policies == {"reminders": {"days": [1, 2]}}
    assert clinics[clinic_b.pk].tz == clinic_b.tz
    assert clinics[clinic_a.pk].name == clinic_a.name


def test_someone_without_an_active_role_is_not_staff(alice):
    alice.memberships.update(is_active=False)
    user = User.objects.get(pk=alice.pk)
    assert user.roles_by_clinic() == {} and user.staff_clinics() == {}
    assert not user.is_clinic_staff


def test_a_role_granted_at_another_clinic_is_seen_on_the_next_request(alice, clinic_a):
    client = _signed_in(alice)
    assert _is_signed_in(client)
    second = ClinicFactory(slug="second")
    MembershipFactory(user=alice, clinic=second, role=Role.PRACTITIONER)
    session = client.session
    session["active_clinic_id"] = second.pk
    session.save()
    response = client.get(TODAY)
    assert response.status_code == 200
    assert response.context["request"].clinic == second
