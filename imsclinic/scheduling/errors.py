"""Refusals raised by scheduling actions, with plain messages the UI and API show as they are."""

from dataclasses import dataclass, field


class BookingError(Exception):
    """A booking or status change the rules refuse. `field` names the form field at fault."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


@dataclass
class SeriesConflictItem:
    index: int  # 0-based position in the series
    starts_at: object  # aware datetime that was wanted
    reason: str
    alternatives: list = field(default_factory=list)  # aware datetimes, best first


class SeriesConflict(BookingError):
    """Some dates of a series cannot be booked; nothing was saved. `.items` lists them."""

    def __init__(self, items: list[SeriesConflictItem]):
        super().__init__(
            f"{len(items)} of the dates in this series cannot be booked; nothing was saved.",
            code="series_conflict",
        )
        self.items = items
