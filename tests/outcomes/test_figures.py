"""Analytics charts: accessible SVG bars, each beside its table and its own CSV; utilisation and
no-shows from the appointments and the practitioners' published hours; the analytics PDF."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from imsclinic.audit.models import AuditEvent
from imsclinic.outcomes import charts, utilisation
from imsclinic.outcomes.analytics import Filters
from imsclinic.outcomes.figures import FIGURE_KEYS
from imsclinic.outcomes.instruments import instrument_lookup
from tests.outcomes.test_analytics import demo  # noqa: F401  (fixture)


def test_bar_chart_names_itself_states_its_numbers_and_scales_its_bars():
    svg = charts.bar_chart(
        title="Adverse events per 1,000 sessions",
        categories=["Bruising", "Bleeding"],
        series=[("This clinic", [50, 25]), ("Brady 2014", [75.5, None])],
        unit="events per 1,000 sessions",
        css_class="chart-test",
        empty_message="None.",
    )
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    desc = re.search(r"<desc[^>]*>(.*)</desc>", svg).group(1)
    assert "Bruising: This clinic 50, Brady 2014 75.5" in desc
    assert "Bleeding: This clinic 25, Brady 2014 no data" in desc
    widths = [float(w) for w in re.findall(r'<rect x="200" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 3  # no bar for the missing figure
    assert widths[0] == pytest.approx(2 * widths[2], rel=0.02)  # 50 is twice 25
    empty = charts.bar_chart(
        title="T", categories=[], series=[], unit="u", css_class="c", empty_message="Nothing yet."
    )
    assert "Nothing yet." in empty and 'role="img"' in empty


@pytest.mark.django_db
def test_utilisation_counts_booked_and_published_hours_and_no_shows(clinic_a, alice, patient_a):
    from imsclinic.scheduling.models import Availability, AvailabilityException, Status
    from tests.factories.scheduling import AppointmentFactory

    # Mondays 09:00-17:00 in March 2026 (5 Mondays = 40 h), one Monday off, one with 2 extra hours.
    Availability.objects.create(
        practitioner=alice,
        clinic=clinic_a,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(17),
        valid_from=datetime.date(2026, 1, 1),
    )
    AvailabilityException.objects.create(
        practitioner=alice, clinic=clinic_a, date=datetime.date(2026, 3, 9), is_available=False
    )
    AvailabilityException.objects.create(
        practitioner=alice,
        clinic=clinic_a,
        date=datetime.date(2026, 3, 16),
        is_available=True,
        start_time=datetime.time(17),
        end_time=datetime.time(19),
    )
    tz = clinic_a.tz
    for day, status in [(2, Status.COMPLETED), (16, Status.COMPLETED), (23, Status.NO_SHOW)]:
        start = datetime.datetime(2026, 3, day, 10, tzinfo=tz)
        AppointmentFactory(
            clinic=clinic_a,
            patient=patient_a,
            practitioner=alice,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=60),
            status=status,
        )
    start = datetime.datetime(2026, 3, 30, 10, tzinfo=tz)
    AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=60),
        status=Status.CANCELLED,
        cancelled_at=start - datetime.timedelta(days=1),
    )
    f = Filters(
        clinic=clinic_a,
        instrument=instrument_lookup(clinic_a)["nprs"],
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2026, 4, 30),
    )
    march, april = utilisation.monthly(f)
    assert march["month"] == datetime.date(2026, 3, 1)
    assert march["available_hours"] == 5 * 8 - 8 + 2
    assert march["booked_hours"] == 3.0  # the cancelled visit frees its hour
    assert march["utilisation"] == round(3 / 34, 3)
    assert (march["completed"], march["no_shows"], march["no_show_rate"]) == (2, 1, 0.333)
    assert april["available_hours"] == 4 * 8 and april["no_show_rate"] is None


@pytest.mark.django_db
def test_analytics_page_has_each_chart_with_its_table_and_csv(client, demo):  # noqa: F811
    client.force_login(demo.users["admin"])
    body = client.get(reverse("outcomes:analytics")).content.decode()
    for heading in (
        "Outcomes by condition",
        "Sessions to meaningful change",
        "Adverse events beside the published rates",
        "Utilisation and no-shows",
    ):
        assert f">{heading}</h2>" in body
        assert f"<caption>{heading}: the figures drawn above</caption>" in body
    assert body.count('role="img"') >= 4 and body.count("<desc") >= 4
    for key in FIGURE_KEYS:
        assert f"chart={key}" in body
    response = client.get(reverse("outcomes:analytics-csv"), {"chart": "adverse-events"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Event or severity", "Events", "This clinic per 1,000"]
    page_figure = next(
        f
        for f in client.get(reverse("outcomes:analytics")).context["figures"]
        if f.key == "adverse-events"
    )
    assert len(rows) - 1 == len(page_figure.rows) > 0
    assert [r[0] for r in rows[1:]] == [r[0] for r in page_figure.rows]
    assert AuditEvent.objects.filter(
        action="analytics.export.csv", details__filters__chart="adverse-events"
    ).exists()
    bad = client.get(reverse("outcomes:analytics-csv"), {"chart": "revenue"})
    assert bad.status_code == 400 and b"Unknown chart" in bad.content


@pytest.mark.django_db
def test_analytics_pdf_prints_the_same_charts_for_clinic_admins_only(client, demo):  # noqa: F811
    client.force_login(demo.users["practitioner"])
    assert client.get(reverse("reports:analytics-pdf")).status_code == 403
    client.force_login(demo.users["admin"])
    response = client.get(reverse("reports:analytics-pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Outcomes by condition", "Brady 2014", "Utilisation and no-shows"):
        assert expected in text
    assert AuditEvent.objects.filter(action="analytics.export.pdf").count() == 1
    bad = client.get(reverse("reports:analytics-pdf"), {"start": "2026-05-01", "end": "2026-01-01"})
    assert bad.status_code == 400
