"""The text a report starts with, pre-filled from the record for the practitioner to edit.

Plain sentences built from the same course data the report shows (outcomes/course.py), so the
draft never claims more than the numbers beside it.
"""

STATUS_WORDS = {
    "improved": "a clinically meaningful improvement",
    "worsened": "a clinically meaningful worsening",
    "no_important_change": "a change smaller than the minimal clinically important difference",
}


def default_narrative(context: dict) -> str:
    patient, course, data = context["patient"], context["course"], context["data"]
    name = patient.given_name or patient.full_name
    condition = context["working_diagnosis"] or context["condition"] or "their presenting problem"
    lines = [
        f"{name} has attended {data.sessions_done} IMS treatment "
        f"session{'s' if data.sessions_done != 1 else ''} for {condition} since "
        f"{course.started_on:%Y-%m-%d}."
    ]
    for s in data.series:
        if s.baseline is None or s.latest is None or s.latest is s.baseline:
            continue
        words = STATUS_WORDS.get(s.status)
        line = (
            f"{s.instrument.name} moved from {s.baseline.total:g} to {s.latest.total:g}"
            + (f", {words}" if words else "")
            + "."
        )
        lines.append(line)
    events = len(data.adverse_events)
    lines.append(
        "No adverse events were recorded."
        if not events
        else f"{events} adverse event{'s were' if events != 1 else ' was'} recorded (listed below)."
    )
    return " ".join(lines)


def default_plan(context: dict) -> str:
    course, data, kind = context["course"], context["data"], context["kind"]
    if kind == "discharge":
        reason = course.discharge_reason or "the course is complete"
        return (
            f"Discharged: {reason}. Continue the home exercise programme; a new referral is "
            "welcome if symptoms return."
        )
    remaining = max(course.planned_sessions - data.sessions_done, 0)
    return (
        f"Continue IMS every {course.frequency_days} days: {remaining} more of "
        f"{course.planned_sessions} planned sessions, with a review at session "
        f"{course.review_at_session}."
    )


def default_recipient(patient) -> str:
    return patient.referring_physician or ""
