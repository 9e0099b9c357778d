"""Sections of the chart summary, each written by the area it shows.

Each is a function (request, patient) -> {"template": ..., "context": ...} or None. The page
combines areas, so it imports them by name: a renamed section fails at import, loudly. Clinical
sections are only asked for when the user may read clinical notes.
"""

from imsclinic.clinical.summary import clinical_section
from imsclinic.outcomes.summary import outcomes_section
from imsclinic.scheduling.summary import appointments_section
from imsclinic.screening.summary import intake_section

CLINICAL_SUMMARY_SECTIONS = [clinical_section, outcomes_section]
SUMMARY_SECTIONS = [appointments_section, intake_section]


def summary_sections(request, patient) -> list[dict]:
    sections = list(SUMMARY_SECTIONS)
    if request.user.can_view_clinical(patient.clinic_id):
        sections = CLINICAL_SUMMARY_SECTIONS + sections
    return [result for section in sections if (result := section(request, patient))]
