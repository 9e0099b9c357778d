"""Sections of the chart summary contributed by clinical areas (same pattern as Today panels).

Each dotted path names a function (request, patient) -> {"template": ..., "context": ...} or None.
Clinical sections are only asked for when the user may read clinical notes.

CACHED_SECTIONS depend only on the chart's own records (and the date, clinic settings and the
knowledge base, see chart_cache): they are rendered once per chart version and reused. The others
depend on the clock to the minute (upcoming appointments, pending invitations) and stay live.
"""

import importlib.util

from django.utils.module_loading import import_string

from imsclinic.patients.chart_cache import cached_section

CLINICAL_SUMMARY_SECTIONS: list[str] = [
    "imsclinic.clinical.summary.clinical_section",
    "imsclinic.outcomes.summary.outcomes_section",
]
SUMMARY_SECTIONS: list[str] = [
    "imsclinic.scheduling.summary.appointments_section",
    "imsclinic.screening.summary.intake_section",
]
# dotted path -> the template its section renders (part of the cache key).
CACHED_SECTIONS: dict[str, str] = {
    "imsclinic.clinical.summary.clinical_section": "clinical/summary_section.html",
    "imsclinic.outcomes.summary.outcomes_section": "outcomes/summary_section.html",
    "imsclinic.screening.summary.intake_section": "screening/summary_intake.html",
}


def summary_sections(request, patient) -> list[dict]:
    paths = list(SUMMARY_SECTIONS)
    if request.user.can_view_clinical(patient.clinic_id):
        paths = CLINICAL_SUMMARY_SECTIONS + paths
    sections = []
    for dotted in paths:
        if importlib.util.find_spec(dotted.rsplit(".", 1)[0]) is None:
            continue  # an area that has not written its section yet
        build = import_string(dotted)
        if dotted in CACHED_SECTIONS:
            section = cached_section(dotted, CACHED_SECTIONS[dotted], build, request, patient)
        else:
            section = build(request, patient)
        if section:
            sections.append(section)
    return sections
