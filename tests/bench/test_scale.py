"""The network generator: exact sizes, a heavy chart, deterministic, readable through the ORM."""

import pytest
from django.core.management import call_command

from imsclinic.bench.scale import HEAVY_CHART_NUMBER
from imsclinic.clinical.models import NeedlingRow, TreatmentSession
from imsclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _generate(seed=1):
    call_command(
        "demo", clinics=4, patients=150, sessions=900, seed=seed, no_progress=True, verbosity=0
    )


def test_network_mode_builds_exact_sizes_with_a_heavy_chart():
    _generate()
    from imsclinic.accounts.models import Clinic

    assert Clinic.objects.count() == 4
    assert Patient.objects.count() == 150
    assert TreatmentSession.objects.count() == 900
    heavy = Patient.objects.get(chart_number=HEAVY_CHART_NUMBER)
    assert heavy.clinic.slug == "bow-valley"
    sessions = heavy.treatment_sessions.all()
    assert sessions.count() == 500
    # Every generated session is signed, numbered 1..n, and its needle count matches its rows.
    assert not TreatmentSession.objects.filter(signed_at__isnull=True).exists()
    numbers = sorted(sessions.values_list("session_number", flat=True))
    assert numbers == list(range(1, 501))
    session = sessions.first()
    rows = list(session.needling_rows.all())
    assert rows and session.needles_in == sum(r.insertions for r in rows) == session.needles_out
    assert NeedlingRow.objects.count() >= 900
    # The search keys were filled, so generated patients are findable.
    assert Patient.objects.search(heavy.family_name[:3]).filter(pk=heavy.pk).exists()


def test_session_plan_is_deterministic_and_exact():
    import random

    from imsclinic.bench.scale import ScaleSpec, _session_plan

    spec = ScaleSpec(clinics=4, patients=150, sessions=900, seed=7)
    first = _session_plan(spec, random.Random("7-patients"), 89)
    again = _session_plan(spec, random.Random("7-patients"), 89)
    other = _session_plan(spec, random.Random("8-patients"), 89)
    assert first == again != other
    assert sum(first) == sum(other) == 900 - spec.heavy_sessions
    assert 0 in first  # some patients are not in care yet


def test_network_mode_refuses_a_database_with_patients(patient_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already has patients"):
        _generate()
