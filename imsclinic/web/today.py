"""The Today page is assembled from panels, each written by the area it shows.

A panel receives the request and returns {"template": ..., "context": {...}} or None to stay
hidden; panels render in this order. The page combines areas, so it imports them by name: a
renamed panel fails at import, loudly, instead of silently disappearing.
"""

from imsclinic.clinical.today import unsigned_records_panel
from imsclinic.clinics.today import credentials_panel
from imsclinic.outcomes.today import course_flags_panel
from imsclinic.scheduling.today import appointments_panel
from imsclinic.screening.today import requests_panel

TODAY_PANELS = [
    appointments_panel,
    unsigned_records_panel,
    course_flags_panel,
    requests_panel,
    credentials_panel,
]


def today_panels(request) -> list[dict]:
    return [result for panel in TODAY_PANELS if (result := panel(request))]
