"""The Today page is assembled from panels that each clinical area contributes.

An area adds a panel by appending a dotted path to TODAY_PANELS; the function receives the request
and returns a dict {"template": ..., "context": {...}} or None to stay hidden. Panels are rendered
in order. This keeps the Today view itself free of knowledge about scheduling or charting.
"""

from imsclinic.core.contributions import collect

TODAY_PANELS: list[str] = [
    "imsclinic.scheduling.today.appointments_panel",
    "imsclinic.clinical.today.unsigned_records_panel",
    "imsclinic.outcomes.today.course_flags_panel",
    "imsclinic.screening.today.requests_panel",
]


def today_panels(request) -> list[dict]:
    return collect(TODAY_PANELS, request)
