"""Merging a duplicate chart: what moves, what signed records keep, who may, and the audit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import Assessment, PatientPainDrawing, TreatmentSession
from imsclinic.patients.merge import MergeError, merge_patients, unlisted_relations
from imsclinic.scheduling.models import Appointment
from tests.conftest import login
from tests.factories import EvaluationRequestFactory, PatientFactory
from tests.factories.clinical import AssessmentFactory, ConsentFactory, TreatmentSessionFactory
from tests.factories.scheduling import AppointmentFactory
from tests.factories.waitlist import WaitlistEntryFactory

pytestmark = pytest.mark.django_db


def test_every_relation_to_a_chart_has_a_merge_rule():
    assert unlisted_relations() == []


@pytest.fixture
def pair(clinic_a):
    survivor = PatientFactory(clinic=clinic_a, given_name="Robert", family_name="Ames")
    duplicate = PatientFactory(
        clinic=clinic_a,
        given_name="Bob",
        family_name="Ames",
        date_of_birth=survivor.date_of_birth,
    )
    return survivor, duplicate


def test_unsigned_records_all_move_and_the_duplicate_is_deactivated(pair, olivia, alice):
    survivor, duplicate = pair
    appointment = AppointmentFactory(clinic=survivor.clinic, patient=duplicate, practitioner=alice)
    draft = AssessmentFactory(patient=duplicate, practitioner=alice, appointment=appointment)
    session = TreatmentSessionFactory(patient=duplicate, practitioner=alice)
    request = EvaluationRequestFactory(clinic=survivor.clinic, patient=duplicate)
    waiting = WaitlistEntryFactory(clinic=survivor.clinic, patient=duplicate)
    drawing = PatientPainDrawing.objects.create(
        patient=duplicate, clinic=survivor.clinic, drawn_by=alice, marks=[]
    )
    merge_patients(survivor=survivor, duplicate=duplicate, by=olivia)
    for row in (appointment, draft, session, request, waiting, drawing):
        row.refresh_from_db()
        assert row.patient_id == survivor.pk
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert not duplicate.is_active and duplicate.merged_into == survivor
    assert survivor.merged_chart_numbers == [duplicate.chart_number]
    event = AuditEvent.objects.get(action="patient.merge")
    assert event.actor_id == olivia.pk and event.details["kept"] == {}
    assert event.details["moved"]["scheduling.Appointment"] == 1


def test_signed_records_stay_on_the_old_chart_with_their_appointments(pair, olivia, alice):
    survivor, duplicate = pair
    used = AppointmentFactory(clinic=survivor.clinic, patient=duplicate, practitioner=alice)
    upcoming = AppointmentFactory(
        clinic=survivor.clinic,
        patient=duplicate,
        practitioner=alice,
        starts_at=used.starts_at + timezone.timedelta(days=7),
        ends_at=used.ends_at + timezone.timedelta(days=7),
    )
    signed = AssessmentFactory(
        patient=duplicate,
        practitioner=alice,
        appointment=used,
        signed_at=timezone.now(),
        signed_by=alice,
    )
    draft_session = TreatmentSessionFactory(patient=duplicate, practitioner=alice)
    ConsentFactory(patient=duplicate)
    drawing = PatientPainDrawing.objects.create(
        patient=duplicate, clinic=survivor.clinic, drawn_by=alice, marks=[]
    )
    waiting = WaitlistEntryFactory(clinic=survivor.clinic, patient=duplicate)
    result = merge_patients(survivor=survivor, duplicate=duplicate, by=olivia)
    # The drawing stays with the signed assessment it informed; the open wait moves.
    assert PatientPainDrawing.objects.get(pk=drawing.pk).patient_id == duplicate.pk
    waiting.refresh_from_db()
    assert waiting.patient_id == survivor.pk
    assert Assessment.objects.get(pk=signed.pk).patient_id == duplicate.pk
    # The clinical group stays together, so the sessions still point at one chart.
    assert TreatmentSession.objects.get(pk=draft_session.pk).patient_id == duplicate.pk
    assert Appointment.objects.get(pk=used.pk).patient_id == duplicate.pk
    assert Appointment.objects.get(pk=upcoming.pk).patient_id == survivor.pk
    assert result.kept and result.kept["assessments"] == 1
    event = AuditEvent.objects.get(action="patient.merge")
    assert event.details["kept"]["clinical.Assessment"] == 1
    assert "signed clinical records stay" in event.summary


def test_only_a_clinic_admin_merges(pair, alice, bob):
    survivor, duplicate = pair
    for user in (alice, bob):
        with pytest.raises(PermissionDenied):
            merge_patients(survivor=survivor, duplicate=duplicate, by=user)
    duplicate.refresh_from_db()
    assert duplicate.is_active


def test_refusals_leave_both_charts_as_they_were(pair, olivia, clinic_b):
    survivor, duplicate = pair
    with pytest.raises(MergeError):
        merge_patients(survivor=survivor, duplicate=survivor, by=olivia)
    with pytest.raises(MergeError):
        merge_patients(survivor=survivor, duplicate=PatientFactory(clinic=clinic_b), by=olivia)
    merge_patients(survivor=survivor, duplicate=duplicate, by=olivia)
    with pytest.raises(MergeError, match="already merged"):
        merge_patients(survivor=survivor, duplicate=duplicate, by=olivia)
    assert AuditEvent.objects.filter(action="patient.merge").count() == 1


def test_merge_from_the_duplicates_page(client, pair, olivia):
    survivor, duplicate = pair
    login(client, olivia)
    page = client.get(reverse("patients:duplicates", args=[survivor.uuid])).content.decode()
    assert duplicate.chart_number in page and "Similar name, same date of birth" in page
    url = reverse("patients:merge", args=[survivor.uuid])
    unconfirmed = client.post(url, {"duplicate": str(duplicate.uuid)})
    assert unconfirmed.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.is_active
    response = client.post(url, {"duplicate": str(duplicate.uuid), "confirm": "yes"})
    assert response["Location"] == reverse("patients:chart", args=[survivor.uuid])
    chart = client.get(response["Location"]).content.decode()
    assert f"chart {duplicate.chart_number}" in chart


def test_front_desk_sees_candidates_but_no_merge_button(client, pair, bob):
    survivor, duplicate = pair
    login(client, bob)
    page = client.get(reverse("patients:duplicates", args=[survivor.uuid])).content.decode()
    assert duplicate.chart_number in page and "Merge chart" not in page
    url = reverse("patients:merge", args=[survivor.uuid])
    assert client.post(url, {"duplicate": str(duplicate.uuid), "confirm": "yes"}).status_code == 403
