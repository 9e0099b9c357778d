"""A signing refusal on the session and assessment pages links to where it is fixed."""

import re

import pytest
from django.urls import reverse

from imsclinic.clinical.actions.signing import Fix
from tests.factories.clinical import AssessmentFactory, NeedlingRowFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def _refusal_items(html: str) -> list[str]:
    box = re.search(r"Signing will be refused until:.*?</ul>", html, re.S).group(0)
    return re.findall(r"<li>(.*?)</li>", box, re.S)


def test_no_consent_on_the_assessment_links_to_the_consent_page(client, alice, patient_a):
    assessment = AssessmentFactory(
        patient=patient_a, practitioner=alice, accepted_segments=["L5-R"]
    )
    client.force_login(alice)
    html = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    [consent_item] = [item for item in _refusal_items(html) if "No informed consent" in item]
    consent_url = reverse("clinical:consent", args=[patient_a.uuid])
    assert f'<a href="{consent_url}">Record consent</a>' in consent_item


def test_session_refusals_link_to_their_sections(client, alice, patient_a):
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice, precheck={})
    NeedlingRowFactory(session=session)
    client.force_login(alice)
    page = reverse("clinical:session", args=[session.uuid])
    html = client.get(page).content.decode()
    items = _refusal_items(html)
    [precheck] = [item for item in items if "pre-session check" in item]
    assert f'href="{page}#precheck-heading"' in precheck
    [consent] = [item for item in items if "No informed consent" in item]
    assert reverse("clinical:consent", args=[patient_a.uuid]) in consent
    # Every linked section is on the page.
    for anchor in re.findall(rf'href="{re.escape(page)}#([\w-]+)"', "".join(items)):
        assert f'id="{anchor}"' in html


def test_every_fix_kind_has_a_link():
    from imsclinic.clinical.actions.signing import Refusal
    from imsclinic.clinical.views.common import refusals_with_fixes
    from tests.factories.patients import PatientFactory

    patient = PatientFactory.build()
    kinds = [value for name, value in vars(Fix).items() if name.isupper()]
    listed = refusals_with_fixes(
        [Refusal(f"reason {kind}", kind) for kind in kinds], patient=patient, page_url="/x/"
    )
    assert all(item["fix_url"] and item["fix_label"] for item in listed)


def test_an_expired_registration_links_to_the_profile_which_shows_it(client, alice, patient_a):
    import datetime

    registration = alice.registrations.get()
    registration.expires_on = datetime.date(2020, 3, 31)
    registration.save()
    session = TreatmentSessionFactory(patient=patient_a, practitioner=alice)
    NeedlingRowFactory(session=session)
    client.force_login(alice)
    html = client.get(reverse("clinical:session", args=[session.uuid])).content.decode()
    [item] = [i for i in _refusal_items(html) if "no professional registration" in i]
    profile = reverse("profile:me")
    assert f'<a href="{profile}">See your registrations on your profile</a>' in item
    # The link works and shows what expired, and who can record the renewal.
    page = client.get(profile)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Expired on 31 Mar 2020" in text
    assert "Only a clinic admin records registrations and authorisations" in text


def test_for_a_clinic_admin_the_credentials_refusal_links_to_their_staff_page(
    client, alice, olivia, patient_a, clinic_a
):
    from imsclinic.accounts.models import Role
    from tests.factories.accounts import MembershipFactory

    MembershipFactory(user=alice, clinic=clinic_a, role=Role.CLINIC_ADMIN)
    alice.needling_authorisations.all().delete()
    assessment = AssessmentFactory(
        patient=patient_a, practitioner=alice, accepted_segments=["L5-R"]
    )
    client.force_login(alice)
    html = client.get(reverse("clinical:assessment", args=[assessment.uuid])).content.decode()
    [item] = [i for i in _refusal_items(html) if "no needling authorisation" in i]
    staff_page = reverse("clinics:staff_member", args=[clinic_a.uuid, alice.uuid])
    assert f'<a href="{staff_page}">Record it on your staff page</a>' in item
    page = client.get(staff_page)
    assert page.status_code == 200
    assert "Record an authorisation" in page.content.decode()
