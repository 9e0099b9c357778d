"""The patient's own waitlist in the portal: she asks for an earlier visit of a service she could
book online, sees what she waits for, and takes herself off; the front desk works from the same
entries. The rules are the actions' (scheduling/waitlist/actions.py), whoever calls them."""

import pytest
from django.core.exceptions import PermissionDenied

from imsclinic.audit.models import AuditEvent
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Kind
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.models import EntryStatus, WaitlistEntry
from tests.factories import PatientFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_treatment(clinic_a):
    return ServiceFactory(
        clinic=clinic_a, name="IMS treatment", kind=Kind.IMS_TREATMENT, bookable_online=True
    )


@pytest.fixture
def desk_only(clinic_a):
    return ServiceFactory(
        clinic=clinic_a, name="Extended review", kind=Kind.IMS_TREATMENT, bookable_online=False
    )


def _join(client, service, **fields):
    data = {
        "service": service.uuid,
        "practitioner": "",
        "days": ["1", "4"],  # Mondays and Wednesdays
        "day_parts": ["1"],
        "earliest_date": service.clinic.today().isoformat(),
        "latest_date": "",
        "notes": "Mornings before work",
    } | fields
    return client.post("/portal/waitlist/", data)


def test_the_patient_joins_the_waitlist_and_the_front_desk_sees_her_entry(
    client, pat, bob, patient_a, online_treatment, desk_only
):
    client.force_login(pat)
    page = client.get("/portal/").content.decode()
    assert 'href="/portal/waitlist/"' in page
    form = client.get("/portal/waitlist/").content.decode()
    assert "IMS treatment" in form and "Extended review" not in form  # online services only

    response = _join(client, online_treatment)
    assert response.status_code == 302 and response["Location"] == "/portal/waitlist/"
    entry = WaitlistEntry.objects.get(patient=patient_a)
    assert (entry.service, entry.days, entry.day_parts) == (online_treatment, 0b101, 1)
    assert (entry.added_by, entry.status, entry.notes) == (
        pat,
        EntryStatus.WAITING,
        "Mornings before work",
    )
    event = AuditEvent.objects.get(action="waitlist.add")
    assert event.summary == "Asked in the portal to be offered an earlier IMS treatment"
    listed = client.get("/portal/waitlist/").content.decode()
    assert "You are waiting for" in listed and "from " in listed

    again = _join(client, online_treatment)
    assert again.status_code == 200
    assert "You are already on the waitlist for this." in again.content.decode()
    assert WaitlistEntry.objects.filter(patient=patient_a).count() == 1

    client.force_login(bob)
    desk = client.get("/schedule/waitlist/").content.decode()
    assert patient_a.full_name in desk


def test_a_bad_request_is_refused_in_words_and_saves_nothing(
    client, pat, patient_a, online_treatment
):
    client.force_login(pat)
    response = _join(client, online_treatment, days=[], earliest_date="2026-02-30")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tick at least one day." in body
    assert not WaitlistEntry.objects.filter(patient=patient_a).exists()


def test_the_actions_keep_a_patient_to_her_own_entries_and_the_online_services(
    pat, patient_a, clinic_a, online_treatment, desk_only
):
    with pytest.raises(BookingError, match="services you can book online"):
        actions.add_entry(
            clinic=clinic_a, patient=patient_a, by=pat, service=desk_only,
            earliest_date=clinic_a.today(),
        )  # fmt: skip
    someone_else = PatientFactory(clinic=clinic_a)
    with pytest.raises(PermissionDenied):
        actions.add_entry(
            clinic=clinic_a, patient=someone_else, by=pat, service=online_treatment,
            earliest_date=clinic_a.today(),
        )  # fmt: skip
    theirs = actions.add_entry(
        clinic=clinic_a, patient=someone_else, by=_desk(clinic_a),
        service=online_treatment, earliest_date=clinic_a.today(),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        actions.withdraw_entry(entry=theirs, by=pat)
    assert not WaitlistEntry.objects.filter(patient=patient_a).exists()


def _desk(clinic):
    from imsclinic.accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory()
    MembershipFactory(user=user, clinic=clinic, role=Role.FRONT_DESK)
    return user


def test_she_takes_herself_off_and_not_anyone_else(
    client, pat, patient_a, clinic_a, online_treatment
):
    mine = actions.add_entry(
        clinic=clinic_a, patient=patient_a, by=pat, service=online_treatment,
        earliest_date=clinic_a.today(),
    )  # fmt: skip
    client.force_login(pat)
    assert client.get(f"/portal/waitlist/{mine.uuid}/leave/").status_code == 405
    response = client.post(f"/portal/waitlist/{mine.uuid}/leave/", follow=True)
    assert "You are off the waitlist for that visit." in response.content.decode()
    mine.refresh_from_db()
    assert (mine.status, mine.close_reason) == (EntryStatus.WITHDRAWN, "Taken off in the portal")
    again = client.post(f"/portal/waitlist/{mine.uuid}/leave/", follow=True)
    assert "This waitlist entry is withdrawn; nothing was changed." in again.content.decode()
