"""The chart summary's outcomes section: latest scores against baseline, MCID status, sparkline."""

from imsclinic.outcomes.charts import sparkline


def outcomes_section(request, patient):
    from imsclinic.clinical.models import CourseOfCare
    from imsclinic.outcomes.course import load_course_data

    courses = CourseOfCare.objects.filter(patient=patient).select_related("clinic", "patient")
    course = courses.filter(status="active").first() or courses.order_by("-started_on").first()
    if course is None:
        return None
    data = load_course_data(course)
    rows = []
    for s in data.series:
        inst = s.instrument
        rows.append(
            {
                "series": s,
                "spark": sparkline(
                    [p.total for p in s.points],
                    score_range=inst.range,
                    label=f"{inst.abbreviation} trend: "
                    + ", ".join(f"{p.total:g}" for p in s.points),
                ),
            }
        )
    return {
        "template": "outcomes/summary_section.html",
        "context": {"course": course, "rows": rows, "data": data, "patient": patient},
    }
