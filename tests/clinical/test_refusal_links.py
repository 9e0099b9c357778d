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
