"""The tabs of a patient's chart. Each clinical area appends its own tab here.

`clinical` tabs are hidden from front desk (and their views refuse them with a 403);
`admin_only` tabs are for clinic admins; `roles` (when given) limits a tab to those roles.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str
    clinical: bool = False
    admin_only: bool = False
    roles: tuple[str, ...] = ()


CHART_TABS: list[ChartTab] = [
    ChartTab("summary", "Summary", "patients:chart"),
    ChartTab("access", "Access log", "patients:access-log", admin_only=True),
]


def register_tab(tab: ChartTab, *, before: str | None = "access") -> None:
    """Insert a tab (idempotent), by default before the access-log tab."""
    if any(existing.key == tab.key for existing in CHART_TABS):
        return
    keys = [existing.key for existing in CHART_TABS]
    index = keys.index(before) if before in keys else len(CHART_TABS)
    CHART_TABS.insert(index, tab)


def visible_tabs(user, clinic_id) -> list[ChartTab]:
    from imsclinic.accounts.models import Role

    clinical = user.can_view_clinical(clinic_id)
    admin = user.has_role(clinic_id, Role.CLINIC_ADMIN)
    return [
        tab
        for tab in CHART_TABS
        if (clinical or not tab.clinical)
        and (admin or not tab.admin_only)
        and (not tab.roles or user.has_role(clinic_id, *tab.roles))
    ]
