"""API authentication (issue 13, finding 1): the second factor cannot be skipped on the API.

With `require_staff_2fa`, a password-only session used to reach the whole API by adding any
`Authorization: Bearer x` header: the bad token fell back to the half-signed-in session, and the
two-factor middleware let every /api/ request with a Bearer header through.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from imsclinic.gateway import actions
from imsclinic.patients.models import Patient
from tests.trust.test_auth import enrol, post_login

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1980-01-01"}


@pytest.fixture
def clinic_requires_2fa(clinic_a):
    clinic_a.require_staff_2fa = True
    clinic_a.save(update_fields=["require_staff_2fa"])
    return clinic_a


@pytest.fixture
def half_signed_in(client, clinic_requires_2fa, alice, password):
    """alice typed her password but not her second factor."""
    response = post_login(client, "alice", password)
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 302  # the pages send her to enrol first
    return client


def _calls(patient):
    return [
        ("get", "/api/v1/patients", {}),
        ("get", f"/api/v1/fhir/Patient/{patient.uuid}/$everything", {}),
        ("post", "/api/v1/patients", {"data": NEW_PATIENT, "content_type": "application/json"}),
    ]


@pytest.mark.parametrize("header", ["Bearer x", "Bearer ims_made-up-token", "Bearer "])
def test_a_made_up_bearer_token_with_a_password_only_session_is_a_401(
    half_signed_in, patient_a, header
):
    for method, url, extra in _calls(patient_a):
        response = getattr(half_signed_in, method)(url, HTTP_AUTHORIZATION=header, **extra)
        assert response.status_code == 401, (method, url, response.status_code)
    assert Patient.objects.count() == 1


def test_a_password_only_session_without_a_token_is_a_401_on_the_api(half_signed_in, patient_a):
    for method, url, extra in _calls(patient_a):
        assert getattr(half_signed_in, method)(url, **extra).status_code == 401
    assert Patient.objects.count() == 1


def test_an_invalid_token_never_falls_back_to_a_full_session(client, alice, patient_a):
    """Even a fully signed-in session does not stand in for a bad token: the caller said which
    credential it uses."""
    client.force_login(alice)
    assert client.get("/api/v1/patients").status_code == 200
    assert client.get("/api/v1/patients", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_an_expired_token_is_a_401(alice, patient_a):
    token, raw = actions.create_personal_token(user=alice, by=alice, name="t", expires_in_days=1)
    api = Client()
    assert api.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    # Age the row rather than wait: the day has passed.
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    assert api.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_valid_token_works_and_acts_as_its_user_not_the_session(
    half_signed_in, olivia, patient_a
):
    _, raw = actions.create_personal_token(user=olivia, by=olivia, name="t")
    response = half_signed_in.post(
        "/api/v1/patients",
        NEW_PATIENT,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201
    from imsclinic.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="patient.create").get().actor_username == "olivia"


def test_a_verified_session_reaches_the_api(half_signed_in, patient_a):
    device, _ = enrol(half_signed_in)  # enrolling verifies this session
    assert device.confirmed
    assert half_signed_in.get("/api/v1/patients").status_code == 200


def test_the_api_session_check_stands_on_its_own(rf, clinic_requires_2fa, alice):
    """Behind the middleware, the API's own session authentication applies the same rule, so
    removing or reordering the middleware does not open the API."""
    from ninja.errors import AuthenticationError

    from imsclinic.gateway.api_auth import StaffSession

    request = rf.get("/api/v1/patients")
    request.user = alice
    alice.is_verified = lambda: False  # what django-otp reports before the second factor
    with pytest.raises(AuthenticationError):
        StaffSession().authenticate(request, key="session")
    alice.is_verified = lambda: True
    assert StaffSession().authenticate(request, key="session") == alice
