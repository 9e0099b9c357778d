"""The demo network is deterministic and carries the published demo logins."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from imsclinic.accounts.models import Clinic, Role, User
from imsclinic.patients.models import Patient
from imsclinic.web.demo import DEMO_PASSWORDS, build_demo

pytestmark = pytest.mark.django_db


def _snapshot():
    return list(
        Patient.objects.order_by("chart_number", "clinic__slug").values_list(
            "uuid", "given_name", "family_name", "date_of_birth", "clinic__slug"
        )
    )


def _build_and_snapshot(seed):
    """Build into a savepoint, read it, roll it back: every build starts from an empty database."""
    with transaction.atomic():
        build_demo(patients=25, seed=seed)
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot


def test_same_seed_gives_the_same_people():
    first = _build_and_snapshot(7)
    assert not Patient.objects.exists()
    assert _build_and_snapshot(7) == first
    assert len(first) == 25


def test_other_seed_gives_other_people():
    assert _build_and_snapshot(7) != _build_and_snapshot(8)


def test_demo_logins_work_and_have_their_roles():
    ctx = build_demo(patients=12, seed=1)
    for username, password in DEMO_PASSWORDS.items():
        assert authenticate(username=username, password=password) is not None, username
    practitioner = User.objects.get(username="practitioner")
    assert practitioner.roles_at(ctx.clinic) == {Role.PRACTITIONER}
    assert practitioner.current_needling_authorisation(on=ctx.clinic.today()) is not None
    assert User.objects.get(username="frontdesk").roles_at(ctx.clinic) == {Role.FRONT_DESK}
    admin = User.objects.get(username="admin")
    assert set(admin.staff_clinic_ids()) == {ctx.clinic.pk, ctx.other_clinic.pk}
    assert User.objects.get(username="patient").patient_record.clinic == ctx.clinic
    # Only the demo logins carry the demo flag.
    assert set(User.objects.filter(is_demo_account=True).values_list("username", flat=True)) == set(
        DEMO_PASSWORDS
    )


def test_demo_command_refuses_a_database_with_patients():
    call_command("demo", patients=5, seed=1, no_progress=True)
    assert Clinic.objects.count() == 2
    with pytest.raises(CommandError, match="already has patients"):
        call_command("demo", patients=5, seed=1, no_progress=True)
