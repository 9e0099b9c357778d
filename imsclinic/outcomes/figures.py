"""The analytics page's charts, each with the table and the CSV rows it is drawn from.

One `Figure` per chart: its SVG (outcomes/charts.py, the same markup on the page and in the
analytics PDF), the column headings and the rows. The page renders the rows as the chart's
accessible table, and the CSV download of that chart writes the same rows, so the picture, the
table and the file cannot disagree. Built from `analytics.summary(f)` (no query of its own) and
`utilisation.monthly(f)`.
"""

from dataclasses import dataclass

from imsclinic.outcomes import charts, reference_rates

FIGURE_KEYS = ("outcomes", "sessions-to-change", "adverse-events", "utilisation")


@dataclass(frozen=True)
class Figure:
    key: str
    heading: str
    note: str
    svg: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _percent(share):
    return None if share is None else round(share * 100, 1)


def outcomes_by_condition(report: dict, instrument) -> Figure:
    rows = [
        (r["label"], r["courses"], r["reached"], _percent(r["share"]))
        for r in report["mcid_by_condition"]
    ]
    heading = "Outcomes by condition"
    svg = charts.bar_chart(
        title=f"Courses reaching the {instrument.abbreviation} MCID, by condition",
        categories=[r[0] for r in rows],
        series=[("Reached MCID", [r[3] for r in rows])],
        unit="% of evaluable courses",
        css_class="chart-outcomes",
        empty_message="No courses with a baseline and a follow-up score.",
    )
    return Figure(
        "outcomes",
        heading,
        f"Share of evaluable courses (a baseline and a follow-up {instrument.abbreviation}) "
        f"whose score improved by at least the MCID of {instrument.mcid:g}.",
        svg,
        ("Condition", "Evaluable courses", "Reached MCID", "Share (%)"),
        rows,
    )


def sessions_to_change(report: dict, instrument) -> Figure:
    rows = [
        (r["label"], r["reached"], r["mean_sessions"], r["median_sessions"])
        for r in report["mcid_by_condition"]
        if r["reached"]
    ]
    svg = charts.bar_chart(
        title=f"Sessions to a meaningful change in {instrument.abbreviation}, by condition",
        categories=[r[0] for r in rows],
        series=[("Mean", [r[2] for r in rows]), ("Median", [r[3] for r in rows])],
        unit="signed sessions",
        css_class="chart-sessions",
        empty_message="No course has reached the MCID yet.",
    )
    nr = report["non_responders"]
    note = (
        f"Signed sessions at the first score that reached the MCID. Non-responders at session "
        f"{nr['session']}: {nr['non_responders']} of {nr['eligible']} courses."
    )
    return Figure(
        "sessions-to-change",
        "Sessions to meaningful change",
        note,
        svg,
        ("Condition", "Courses that reached MCID", "Mean sessions", "Median sessions"),
        rows,
    )


def adverse_events(report: dict) -> Figure:
    ae = report["adverse_events"]
    studies = (reference_rates.BRADY_2014, reference_rates.BOYCE_2020)
    rows = []
    for group in ("by_kind", "by_severity"):
        for r in ae[group]:
            published = {study: rate for study, rate, _ in r["references"]}
            rows.append(
                (r["label"], r["events"], r["per_1000"], *(published.get(s) for s in studies))
            )
    svg = charts.bar_chart(
        title="Adverse events per 1,000 sessions: this clinic and the published rates",
        categories=[r[0] for r in rows],
        series=[
            ("This clinic", [r[2] for r in rows]),
            ("Brady 2014", [r[3] for r in rows]),
            ("Boyce 2020", [r[4] for r in rows]),
        ],
        unit="events per 1,000 sessions",
        css_class="chart-adverse",
        empty_message="No adverse events recorded in this range.",
    )
    return Figure(
        "adverse-events",
        "Adverse events beside the published rates",
        f"{ae['sessions']} signed sessions. Published: {'; '.join(studies)}. "
        "“No data” means the study did not report that category.",
        svg,
        (
            "Event or severity",
            "Events",
            "This clinic per 1,000",
            "Brady 2014 per 1,000",
            "Boyce 2020 per 1,000",
        ),
        rows,
    )


def utilisation(months: list[dict]) -> Figure:
    rows = [
        (
            m["month"].strftime("%Y-%m"),
            m["booked_hours"],
            m["available_hours"],
            _percent(m["utilisation"]),
            m["completed"],
            m["no_shows"],
            _percent(m["no_show_rate"]),
        )
        for m in months
    ]
    svg = charts.bar_chart(
        title="Utilisation and no-shows by month",
        categories=[r[0] for r in rows],
        series=[("Utilisation", [r[3] for r in rows]), ("No-shows", [r[6] for r in rows])],
        unit="%",
        css_class="chart-utilisation",
        empty_message="No appointments or published hours in this range.",
    )
    return Figure(
        "utilisation",
        "Utilisation and no-shows",
        "Utilisation: booked hours of visits not cancelled / the practitioners' published hours. "
        "No-shows: share of completed or missed visits that were missed.",
        svg,
        (
            "Month",
            "Booked hours",
            "Available hours",
            "Utilisation (%)",
            "Completed visits",
            "No-shows",
            "No-show rate (%)",
        ),
        rows,
    )


def build(report: dict, instrument, months: list[dict]) -> list[Figure]:
    return [
        outcomes_by_condition(report, instrument),
        sessions_to_change(report, instrument),
        adverse_events(report),
        utilisation(months),
    ]
