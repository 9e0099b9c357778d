"""A report's PDF is printed once per report version and served from the cache after that;
any change to what the report shows is a new version. Every download is audited either way."""

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from imsclinic.audit.models import AuditEvent
from imsclinic.patients.actions import update_patient
from imsclinic.reports import pdf
from tests.factories.outcomes import scores

pytestmark = pytest.mark.django_db


class CountingPrinter:
    def __init__(self):
        self.printed = 0
        self.real = pdf.write_pdf

    def __call__(self, html):
        self.printed += 1
        return self.real(html)


@pytest.fixture
def printer(monkeypatch):
    cache.clear()
    counting = CountingPrinter()
    monkeypatch.setattr(pdf, "write_pdf", counting)
    yield counting
    cache.clear()


def download(client, course, kind="progress") -> bytes:
    url = reverse("reports:report-pdf", args=[course.patient.uuid, course.uuid, kind])
    response = client.get(url)
    assert response.status_code == 200
    return response.content


def text_of(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_same_report_version_is_printed_once_and_audited_each_time(
    client, alice, improving_course, printer
):
    client.force_login(alice)
    first = download(client, improving_course)
    second = download(client, improving_course)
    assert second == first
    assert printer.printed == 1
    assert AuditEvent.objects.filter(action="report.progress.pdf").count() == 2
    download(client, improving_course, kind="discharge")  # another report of the course
    assert printer.printed == 2


def test_a_change_to_the_patient_or_the_course_data_prints_a_new_version(
    client, alice, improving_course, printer
):
    client.force_login(alice)
    download(client, improving_course)
    patient = improving_course.patient
    update_patient(patient=patient, by=alice, fields={"family_name": "Renamed"})
    renamed = download(client, improving_course)
    assert printer.printed == 2
    assert "Renamed" in text_of(renamed)
    scores(improving_course, "nprs", [(4, "review", {"pain": 1})])
    download(client, improving_course)
    assert printer.printed == 3
