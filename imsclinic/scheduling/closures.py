"""Days the whole clinic is closed, and the statutory holidays offered as their default.

Statutory holidays come from the `holidays` package (python-holidays, which cites each
province's employment-standards legislation in its Canada module): a clinic admin adds a year's
holidays for the clinic's province in one step and may then remove any the clinic keeps open.
"""

import datetime

import holidays


def statutory_holidays(clinic, years: list[int]) -> list[tuple[datetime.date, str]]:
    """The clinic's province's statutory (public) holidays in `years`, by date."""
    calendar = holidays.country_holidays(
        clinic.country,
        subdiv=clinic.region or None,
        years=years,
        language="en_CA" if clinic.country == "CA" else None,
    )
    return sorted((day, str(name)) for day, name in calendar.items())
