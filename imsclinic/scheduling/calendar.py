"""The front desk's time grid: day or week, one practitioner or all side by side.

Built here as plain rows and cells so the template stays simple and the page is a real table:
screen readers announce row (time) and column (practitioner, day) headers, and every free slot
and appointment is a link reachable with the keyboard.
"""

import datetime
from dataclasses import dataclass, field

from imsclinic.scheduling.availability import local_datetime, windows_on
from imsclinic.scheduling.models import Appointment, Closure

STEP = datetime.timedelta(minutes=30)
DEFAULT_FIRST, DEFAULT_LAST = datetime.time(8, 0), datetime.time(18, 0)


@dataclass
class Column:
    practitioner: object
    day: datetime.date
    closure: Closure | None
    windows: list
    appointments: list


@dataclass
class Cell:
    column: Column
    start: datetime.datetime
    kind: str  # "appointment", "free", "closed", "off"
    rowspan: int = 1
    appointments: list = field(default_factory=list)


@dataclass
class Row:
    time: datetime.time
    cells: list  # Cell, or None where a cell above spans this row


def week_of(day: datetime.date) -> list[datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return [monday + datetime.timedelta(days=i) for i in range(7)]


def build(clinic, practitioners, days, *, now) -> tuple[list[Column], list[Row]]:
    tz = clinic.tz
    closures = {c.date: c for c in Closure.objects.filter(clinic=clinic, date__in=days)}
    start = local_datetime(days[0], datetime.time.min, tz)
    end = local_datetime(days[-1] + datetime.timedelta(days=1), datetime.time.min, tz)
    appointments = list(
        Appointment.objects.active()
        .filter(clinic=clinic, practitioner__in=practitioners, starts_at__lt=end, ends_at__gt=start)
        .select_related("patient", "service")
        .order_by("starts_at")
    )
    columns = []
    for day in days:
        for person in practitioners:
            closure = closures.get(day)
            columns.append(
                Column(
                    practitioner=person,
                    day=day,
                    closure=closure,
                    windows=windows_on(person, clinic, day, closed=closure is not None),
                    appointments=[
                        a
                        for a in appointments
                        if a.practitioner_id == person.pk and a.local_start().date() == day
                    ],
                )
            )
    first, last = DEFAULT_FIRST, DEFAULT_LAST
    for column in columns:
        for w in column.windows:
            first = min(first, w.start.astimezone(tz).time())
            last = max(last, w.end.astimezone(tz).time())
        for a in column.appointments:
            first = min(first, a.local_start().time())
            last = max(last, a.local_end().time() if a.local_end().date() == column.day else last)
    first = datetime.time(first.hour, 0 if first.minute < 30 else 30)
    times = []
    cursor = datetime.datetime.combine(days[0], first)
    stop = datetime.datetime.combine(days[0], last)
    while cursor < stop:
        times.append(cursor.time())
        cursor += STEP
    covered: dict[int, int] = {}  # column index -> rows still covered by a cell above
    rows = []
    for row_index, at in enumerate(times):
        cells = []
        for index, column in enumerate(columns):
            if covered.get(index, 0) > 0:
                covered[index] -= 1
                cells.append(None)
                continue
            slot_start = local_datetime(column.day, at, tz)
            slot_end = slot_start + STEP
            starting = [a for a in column.appointments if slot_start <= a.local_start() < slot_end]
            if starting:
                last_end = max(a.ends_at for a in starting)
                span = 1
                while (
                    row_index + span < len(times)
                    and local_datetime(column.day, times[row_index + span], tz) < last_end
                ):
                    span += 1
                covered[index] = span - 1
                cells.append(Cell(column, slot_start, "appointment", span, starting))
            elif column.closure is not None:
                cells.append(Cell(column, slot_start, "closed"))
            elif (
                slot_start >= now
                and any(w.contains(slot_start, slot_end) for w in column.windows)
                and not any(
                    a.starts_at < slot_end and a.ends_at > slot_start for a in column.appointments
                )
            ):
                cells.append(Cell(column, slot_start, "free"))
            else:
                cells.append(Cell(column, slot_start, "off"))
        rows.append(Row(at, cells))
    return columns, rows
