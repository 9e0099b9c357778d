"""The demo schedule: today's list for the demo practitioner, no overlaps, assessment first."""

import pytest

from imsclinic.scheduling.models import Appointment, Kind, Status
from imsclinic.screening.models import EvaluationRequest
from imsclinic.web.demo import build_demo

pytestmark = pytest.mark.django_db


def test_demo_schedule_is_realistic():
    ctx = build_demo(patients=80, seed=3)
    clinic, user = ctx.clinic, ctx.users["practitioner"]
    today = Appointment.objects.for_clinic_day(clinic, clinic.today()).filter(practitioner=user)
    kinds = set(today.values_list("kind", flat=True))
    assert today.count() >= 5
    assert {Kind.IMS_TREATMENT, Kind.INITIAL_ASSESSMENT} <= kinds

    # No practitioner is ever in two places.
    rows = list(
        Appointment.objects.active()
        .order_by("practitioner_id", "starts_at")
        .values_list("practitioner_id", "starts_at", "ends_at")
    )
    for (p1, _s1, e1), (p2, s2, _e2) in zip(rows, rows[1:], strict=False):
        assert p1 != p2 or s2 >= e1

    # Every needling appointment follows a completed initial assessment.
    assessed = dict(
        Appointment.objects.filter(
            kind=Kind.INITIAL_ASSESSMENT, status=Status.COMPLETED
        ).values_list("patient_id", "starts_at")
    )
    for patient_id, starts_at in Appointment.objects.filter(kind=Kind.IMS_TREATMENT).values_list(
        "patient_id", "starts_at"
    ):
        assert patient_id in assessed and assessed[patient_id] < starts_at

    assert Appointment.objects.filter(patient=ctx.extras["portal_patient"]).exists()
    assert EvaluationRequest.objects.filter(clinic=clinic, status="new").count() >= 3
    outcomes = set(EvaluationRequest.objects.values_list("outcome", flat=True))
    assert outcomes == {"likely_candidate", "needs_clearance", "not_suitable"}


def test_demo_patients_have_their_latest_booked_start():
    """The demo writes appointments with bulk_create (no signals); its last step, the rebuild,
    fills Patient.latest_booked_start (scheduling/booked.py) for the Today dropout rule."""
    from imsclinic.patients.models import Patient

    build_demo(patients=40, seed=5)
    latest: dict[int, object] = {}
    for patient_id, starts_at, status in Appointment.objects.values_list(
        "patient_id", "starts_at", "status"
    ):
        if status not in (Status.CANCELLED, Status.NO_SHOW):
            latest[patient_id] = max(starts_at, latest.get(patient_id, starts_at))
    stored = dict(Patient.objects.values_list("pk", "latest_booked_start"))
    assert latest, "the demo books appointments"
    assert stored == {pk: latest.get(pk) for pk in stored}
