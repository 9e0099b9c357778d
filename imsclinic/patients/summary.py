"""Sections of the chart summary, each written by the area it shows.

Each is a function (request, patient) -> {"template": ..., "context": ...} or None. The page
combines areas, so it imports them by name: a renamed section fails at import, loudly. Clinical
sections are only asked for when the user may read clinical notes.

CACHED_SECTIONS depend only on the chart's own records (and the date, clinic settings and the
knowledge base, see chart_cache): they are rendered once per chart version and reused. The others
depend on the clock to the minute (upcoming appointments, pending invitations) and stay live.
"""

from imsclinic.clinical.summary import clinical_section
from imsclinic.outcomes.summary import outcomes_section
from imsclinic.patients.chart_cache import cached_section
from imsclinic.scheduling.summary import appointments_section
from imsclinic.screening.summary import intake_section

CLINICAL_SUMMARY_SECTIONS = [clinical_section, outcomes_section]
SUMMARY_SECTIONS = [appointments_section, intake_section]
# section -> the template it renders (part of the cache key).
CACHED_SECTIONS = {
    clinical_section: "clinical/summary_section.html",
    outcomes_section: "outcomes/summary_section.html",
    intake_section: "screening/summary_intake.html",
}


def summary_sections(request, patient) -> list[dict]:
    sections = list(SUMMARY_SECTIONS)
    if request.user.can_view_clinical(patient.clinic_id):
        sections = CLINICAL_SUMMARY_SECTIONS + sections
    results = []
    for build in sections:
        if build in CACHED_SECTIONS:
            dotted = f"{build.__module__}.{build.__qualname__}"
            section = cached_section(dotted, CACHED_SECTIONS[build], build, request, patient)
        else:
            section = build(request, patient)
        if section:
            results.append(section)
    return results
