"""`imsclinic create_clinic`: production's way to set up a clinic and its first admin, since
production has no Django admin (issue 13, finding 7)."""

import pytest
from django.core.management import CommandError, call_command

from imsclinic.accounts.models import Clinic, Role, User
from imsclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ARGS = ["--name", "Prairie IMS", "--slug", "prairie", "--admin-username", "owner"]


def test_sets_up_a_clinic_and_its_admin(tmp_path, client):
    secret = tmp_path / "pw"
    secret.write_text("a-long-unusual-passphrase-42\n")
    call_command(
        "create_clinic", *ARGS, "--admin-email", "owner@example.org", "--password-file", str(secret)
    )
    clinic = Clinic.objects.get(slug="prairie")
    owner = User.objects.get(username="owner")
    assert owner.has_role(clinic, Role.CLINIC_ADMIN) and not owner.is_demo_account
    assert AuditEvent.objects.filter(action="clinic.create").count() == 1
    signed_in = client.post(
        "/accounts/login/", {"username": "owner", "password": "a-long-unusual-passphrase-42"}
    )
    assert signed_in.status_code == 302


def test_refuses_a_weak_password_and_saves_nothing(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("password")
    with pytest.raises(CommandError, match="too common|too short"):
        call_command(
            "create_clinic", *ARGS, "--admin-email", "o@example.org", "--password-file", str(secret)
        )
    assert not Clinic.objects.exists() and not User.objects.exists()
