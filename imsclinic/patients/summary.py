"""Sections of the chart summary contributed by clinical areas (same pattern as Today panels).

Each dotted path names a function (request, patient) -> {"template": ..., "context": ...} or None.
Clinical sections are only asked for when the user may read clinical notes.
"""

from imsclinic.core.contributions import collect

CLINICAL_SUMMARY_SECTIONS: list[str] = [
    "imsclinic.clinical.summary.clinical_section",
    "imsclinic.outcomes.summary.outcomes_section",
]
SUMMARY_SECTIONS: list[str] = [
    "imsclinic.scheduling.summary.appointments_section",
    "imsclinic.screening.summary.intake_section",
]


def summary_sections(request, patient) -> list[dict]:
    paths = list(SUMMARY_SECTIONS)
    if request.user.can_view_clinical(patient.clinic_id):
        paths = CLINICAL_SUMMARY_SECTIONS + paths
    return collect(paths, request, patient)
