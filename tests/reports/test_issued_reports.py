"""Issued reports: recipient, cover letter, the practitioner's narrative and plan (pre-filled from
the record, edited, then issued) and the signer's registration in the clinic's jurisdiction.

The PDFs are read back as text with pypdf; the page-break test renders the demo clinic's longest
course and refuses any page that holds only one or two lines of text.
"""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from imsclinic.accounts.models import ProfessionalRegistration
from imsclinic.audit.models import AuditEvent
from imsclinic.reports.models import IssuedReport

pytestmark = pytest.mark.django_db


def edit_url(course, kind="progress"):
    return reverse("reports:edit", args=[course.patient.uuid, course.uuid, kind])


def pdf_text(client, course, kind="progress"):
    response = client.get(
        reverse("reports:report-pdf", args=[course.patient.uuid, course.uuid, kind])
    )
    assert response.status_code == 200
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def register(user, jurisdiction="CA-AB", number="AB-PT-40412", expires_in=300, *, only=True):
    """Give `user` this registration (by default as their only one: the cast's own is removed),
    expiring `expires_in` days from today at their clinic (not the server's date: in the evening
    in Alberta it is already tomorrow in UTC)."""
    today = user.memberships.select_related("clinic").first().clinic.today()
    if only:
        user.registrations.all().delete()
    return ProfessionalRegistration.objects.create(
        user=user,
        profession="Physiotherapist",
        regulator="Physiotherapy Alberta College + Association",
        jurisdiction=jurisdiction,
        number=number,
        expires_on=today + datetime.timedelta(days=expires_in),
    )


FORM = {
    "recipient_name": "Dr. Maya Okafor",
    "recipient_address": "Crowfoot Family Medicine\n1 Crowfoot Way NW, Calgary AB",
    "cover_letter": "Dear Dr. Okafor,\nThank you for referring Patricia. Her progress is below.",
    "narrative": "Patricia is sleeping through the night again and back at work full days.",
    "plan": "Two more sessions, then discharge to her home programme.",
}


def test_edit_page_is_prefilled_from_the_record(client, alice, improving_course):
    patient = improving_course.patient
    patient.referring_physician = "Dr. Maya Okafor"
    patient.save()
    client.force_login(alice)
    page = client.get(edit_url(improving_course))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["recipient_name"] == "Dr. Maya Okafor"
    narrative = form.initial["narrative"]
    assert "4 IMS treatment sessions" in narrative
    assert "from 8 to 3, a clinically meaningful improvement" in narrative
    assert "No adverse events were recorded." in narrative
    assert "more of" in form.initial["plan"] and "review at session" in form.initial["plan"]


def test_issue_prints_recipient_cover_letter_narrative_plan_and_registration(
    client, alice, improving_course
):
    register(alice)
    register(
        alice, jurisdiction="CA-BC", number="BC-PT-99999", only=False
    )  # another province: not printed
    client.force_login(alice)
    response = client.post(edit_url(improving_course), {**FORM, "action": "issue"})
    assert response.status_code == 302
    report = IssuedReport.objects.get(course=improving_course)
    assert report.is_issued and report.signer_registration.endswith("no. AB-PT-40412")
    pages = pdf_text(client, improving_course)
    text = " ".join(pages)
    assert "Dear Dr. Okafor" in pages[0] and "Progress report" not in pages[0]  # letter first
    for expected in (
        "Dr. Maya Okafor",
        "Crowfoot Family Medicine",
        "sleeping through the night",
        "Two more sessions, then discharge",
        alice.display_name,
        "Physiotherapist",
        "AB-PT-40412",
    ):
        assert expected in text, expected
    assert "BC-PT-99999" not in text and "draft" not in text.lower()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"report.progress.draft", "report.progress.issue", "report.progress.pdf"} <= actions


def test_issuing_without_a_registration_in_the_clinics_province_is_refused(
    client, alice, improving_course
):
    register(alice, jurisdiction="CA-BC", number="BC-PT-21934")
    client.force_login(alice)
    response = client.post(edit_url(improving_course), {**FORM, "action": "issue"})
    assert response.status_code == 400
    assert "no current professional registration in AB" in response.content.decode()
    draft = IssuedReport.objects.get(course=improving_course)
    assert not draft.is_issued and draft.narrative == FORM["narrative"]  # the words are kept
    assert not AuditEvent.objects.filter(action="report.progress.issue").exists()


def test_an_expired_registration_does_not_count(client, alice, improving_course):
    register(alice, expires_in=-1)
    client.force_login(alice)
    response = client.post(edit_url(improving_course), {**FORM, "action": "issue"})
    assert response.status_code == 400
    assert not IssuedReport.objects.filter(issued_at__isnull=False).exists()


def test_a_draft_is_marked_and_an_issued_report_is_frozen(client, alice, improving_course):
    register(alice)
    client.force_login(alice)
    assert client.post(edit_url(improving_course), {**FORM, "action": "save"}).status_code == 302
    assert "draft, not issued" in " ".join(pdf_text(client, improving_course))
    client.post(edit_url(improving_course), {**FORM, "action": "issue"})
    # Writing again starts a new draft from the record; the issued text stays as issued.
    page = client.get(edit_url(improving_course))
    assert "sleeping through the night" not in page.context["form"].initial["narrative"]
    client.post(
        edit_url(improving_course), {**FORM, "narrative": "Second version.", "action": "save"}
    )
    issued = IssuedReport.objects.get(issued_at__isnull=False)
    assert issued.narrative == FORM["narrative"]
    assert IssuedReport.objects.filter(issued_at__isnull=True).get().narrative == "Second version."


def test_only_a_practitioner_writes_and_an_empty_narrative_saves_nothing(
    client, alice, olivia, improving_course
):
    client.force_login(olivia)  # the clinic admin may read the chart but does not sign reports
    response = client.post(edit_url(improving_course), {**FORM, "action": "save"})
    assert response.status_code == 400
    assert "Only a practitioner" in response.content.decode()
    client.force_login(alice)
    response = client.post(
        edit_url(improving_course), {**FORM, "narrative": "  ", "action": "save"}
    )
    assert response.status_code == 400
    assert not IssuedReport.objects.exists()


def test_discharge_summary_has_the_plan_and_the_discharge(client, alice, improving_course):
    from imsclinic.outcomes.actions import discharge_course

    register(alice)
    discharge_course(course=improving_course, reason="Goals met", by=alice)
    client.force_login(alice)
    page = client.get(edit_url(improving_course, "discharge"))
    assert "Discharged: Goals met." in page.context["form"].initial["plan"]
    text = " ".join(pdf_text(client, improving_course, "discharge"))
    assert "Plan" in text and "Reason: Goals met" in text


def lines_per_page(pages):
    """Text lines on each page, without the running "Page N of M" footer."""
    return [
        [line for line in page.splitlines() if line.strip() and not line.startswith("Page ")]
        for page in pages
    ]


def test_no_page_of_the_demo_report_holds_only_one_or_two_lines(client):
    from django.db.models import Count

    from imsclinic.clinical.models import CourseOfCare
    from imsclinic.web.demo import build_demo

    demo = build_demo(patients=12, seed=3)
    courses = CourseOfCare.objects.filter(clinic=demo.clinic).annotate(n=Count("sessions"))
    assert courses.exists(), "the demo has courses to report on"
    client.force_login(demo.users["practitioner"])
    checked = 0
    for course in courses.order_by("-n")[:2]:
        for kind in ("progress", "discharge"):
            pages = lines_per_page(pdf_text(client, course, kind))
            assert all(len(lines) >= 3 for lines in pages), [len(lines) for lines in pages]
            checked += len(pages)
    assert checked > 4  # several multi-page reports were looked at
