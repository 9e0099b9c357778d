"""Accessible SVG charts as strings (pure Python, no Django): the same markup goes into the page
and, through WeasyPrint, into the PDF reports.

Every chart has role="img", a <title> and a <desc> that states the numbers in words, and a data
table is rendered next to it by the templates, so nothing depends on seeing the picture.
Colours are chosen to stay distinct in greyscale print (solid vs dashed lines, filled vs hollow
markers).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 40
INK, MUTED, GRID = "#1d2b36", "#5b6b78", "#dde3e8"
BEFORE, AFTER, SCORE, BAND, BAR1, BAR2 = (
    "#b3261e",
    "#0b6e4f",
    "#1f5fa8",
    "#cde8d8",
    "#1f5fa8",
    "#c77700",
)
_ids = itertools.count(1)


@dataclass(frozen=True)
class Frame:
    """Maps data coordinates to the plot area."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    def x(self, value: float) -> float:
        span = (self.x_max - self.x_min) or 1
        return round(LEFT + (value - self.x_min) / span * (WIDTH - LEFT - RIGHT), 1)

    def y(self, value: float) -> float:
        span = (self.y_max - self.y_min) or 1
        return round(HEIGHT - BOTTOM - (value - self.y_min) / span * (HEIGHT - TOP - BOTTOM), 1)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _open(title: str, desc: str, css_class: str) -> tuple[str, list[str]]:
    uid = f"chart{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-size="12">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
    )
    return head, []


def _axes(
    frame: Frame, x_ticks: Sequence[float], y_ticks: Sequence[float], x_label: str, y_label: str
) -> list[str]:
    out = []
    for t in y_ticks:
        y = frame.y(t)
        out.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="{MUTED}">{_fmt(t)}</text>'
        )
    for t in x_ticks:
        x = frame.x(t)
        out.append(
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{_fmt(t)}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="{INK}"/>'
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="{INK}">{escape(x_label)}</text>'
        f'<text x="12" y="{TOP - 10}" fill="{INK}">{escape(y_label)}</text>'
    )
    return out


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = low - (low % step) if low % step else low
    ticks, t = [], start
    while t <= high + 1e-9:
        if t >= low - 1e-9:
            ticks.append(round(t, 6))
        t += step
    return ticks


def _polyline(points: list[tuple[float, float]], colour: str, *, dashed: bool = False) -> str:
    if len(points) < 2:
        return ""
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    coords = " ".join(f"{x},{y}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'


def _markers(points: list[tuple[float, float]], colour: str, *, hollow: bool = False) -> str:
    fill = "#ffffff" if hollow else colour
    return "".join(
        f'<circle cx="{x}" cy="{y}" r="4" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
        for x, y in points
    )


def _legend(entries: list[tuple[str, str, str]]) -> str:
    """entries: (label, colour, style) with style in line|dashed|band|bar."""
    out, x = [], LEFT + 40
    for label, colour, style in entries:
        if style == "band":
            out.append(
                f'<rect x="{x}" y="6" width="18" height="12" fill="{colour}" stroke="{AFTER}"/>'
            )
        elif style == "bar":
            out.append(f'<rect x="{x}" y="6" width="14" height="12" fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="6 4"' if style == "dashed" else ""
            out.append(
                f'<line x1="{x}" y1="12" x2="{x + 18}" y2="12" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>'
            )
        out.append(f'<text x="{x + 24}" y="16" fill="{INK}">{escape(label)}</text>')
        x += 40 + 7 * len(label)
    return "".join(out)


def _empty(title: str, message: str, css_class: str) -> str:
    head, _ = _open(title, message, css_class)
    return (
        head
        + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}">'
        + f"{escape(message)}</text></svg>"
    )


def pain_chart(sessions: Sequence) -> str:
    """Pain before (red, solid, filled) and after (green, dashed, hollow) each session, 0-10.

    `sessions`: objects with .number, .pain_before, .pain_after (None = not recorded).
    """
    title = "Pain before and after each session (0-10)"
    sessions = [s for s in sessions if s.pain_before is not None or s.pain_after is not None]
    if not sessions:
        return _empty(title, "No session pain scores recorded yet.", "chart-pain")
    numbers = [s.number for s in sessions]
    frame = Frame(min(numbers) - 0.5, max(numbers) + 0.5, 0, 10)
    before = [
        (frame.x(s.number), frame.y(s.pain_before)) for s in sessions if s.pain_before is not None
    ]
    after = [
        (frame.x(s.number), frame.y(s.pain_after)) for s in sessions if s.pain_after is not None
    ]
    words = "; ".join(
        f"session {s.number}: before {_na(s.pain_before)}, after {_na(s.pain_after)}"
        for s in sessions
    )
    head, _ = _open(title, f"{title}. {words}.", "chart-pain")
    body = _axes(frame, numbers, [0, 2, 4, 6, 8, 10], "Session", "Pain (NPRS)")
    body += [
        _polyline(before, BEFORE),
        _markers(before, BEFORE),
        _polyline(after, AFTER, dashed=True),
        _markers(after, AFTER, hollow=True),
        _legend([("Before session", BEFORE, "line"), ("After session", AFTER, "dashed")]),
    ]
    return head + "".join(body) + "</svg>"


def _na(value) -> str:
    return "not recorded" if value is None else _fmt(value)


def score_chart(
    *,
    name: str,
    abbreviation: str,
    score_range: tuple[float, float],
    higher_is_better: bool,
    mcid: float | None,
    baseline: float | None,
    points: Sequence[tuple[float, float]],
) -> str:
    """An outcome score over the course against its baseline, with the MCID band shaded.

    points: (session number at completion, total). The shaded band is baseline ± MCID: a score
    inside it is not a clinically important change; leaving it on the "better" side is.
    """
    title = f"{name} ({abbreviation}) over the course"
    if not points:
        return _empty(title, f"No {abbreviation} scores recorded yet.", "chart-score")
    low, high = score_range
    xs = [p[0] for p in points]
    frame = Frame(min(xs) - 0.5, max(xs) + 0.5, low, high)
    parts = []
    direction = "higher is better" if higher_is_better else "lower is better"
    summary = ", ".join(f"session {_fmt(x)}: {_fmt(y)}" for x, y in points)
    desc = f"{title} ({direction}). Scores {summary}."
    if baseline is not None:
        desc += f" Baseline {_fmt(baseline)}."
        if mcid is not None:
            band_low, band_high = max(low, baseline - mcid), min(high, baseline + mcid)
            target = baseline + mcid if higher_is_better else baseline - mcid
            desc += (
                f" MCID {_fmt(mcid)}: a score beyond {_fmt(target)} is a clinically important "
                f"improvement."
            )
            parts.append(
                f'<rect class="mcid-band" x="{LEFT}" y="{frame.y(band_high)}" '
                f'width="{WIDTH - LEFT - RIGHT}" height="{round(frame.y(band_low) - frame.y(band_high), 1)}" '
                f'fill="{BAND}" fill-opacity="0.7"/>'
            )
        parts.append(
            f'<line class="baseline" x1="{LEFT}" y1="{frame.y(baseline)}" x2="{WIDTH - RIGHT}" '
            f'y2="{frame.y(baseline)}" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="3 3"/>'
        )
    head, _ = _open(title, desc, "chart-score")
    coords = [(frame.x(x), frame.y(y)) for x, y in points]
    body = parts + _axes(
        frame, sorted(set(xs)), _nice_ticks(low, high), "Sessions completed", abbreviation
    )
    body += [_polyline(coords, SCORE), _markers(coords, SCORE)]
    legend = [(abbreviation, SCORE, "line"), ("Baseline", MUTED, "dashed")]
    if mcid is not None and baseline is not None:
        legend.append((f"Within MCID ({_fmt(mcid)}) of baseline", BAND, "band"))
    body.append(_legend(legend))
    return head + "".join(body) + "</svg>"


def dose_chart(sessions: Sequence) -> str:
    """Needling dose per session: insertions (blue bars) and segments treated (orange bars).

    `sessions`: objects with .number, .insertions, .segments.
    """
    title = "Needling dose per session"
    if not sessions:
        return _empty(title, "No signed sessions yet.", "chart-dose")
    top = max(max(s.insertions for s in sessions), max(s.segments for s in sessions), 1)
    ticks = _nice_ticks(0, top)
    high = max(ticks[-1], top)
    numbers = [s.number for s in sessions]
    frame = Frame(min(numbers) - 0.5, max(numbers) + 0.5, 0, high)
    slot = (WIDTH - LEFT - RIGHT) / max(len(sessions), 1)
    bar = max(min(slot * 0.35, 28), 3)
    words = "; ".join(
        f"session {s.number}: {s.insertions} insertions, {s.segments} segments" for s in sessions
    )
    head, _ = _open(title, f"{title}. {words}.", "chart-dose")
    body = _axes(frame, numbers, ticks, "Session", "Count")
    base = frame.y(0)
    for s in sessions:
        x = frame.x(s.number)
        for offset, value, colour in ((-bar, s.insertions, BAR1), (0, s.segments, BAR2)):
            y = frame.y(value)
            body.append(
                f'<rect x="{round(x + offset, 1)}" y="{y}" width="{round(bar, 1)}" '
                f'height="{round(base - y, 1)}" fill="{colour}"/>'
            )
    body.append(_legend([("Insertions", BAR1, "bar"), ("Segments treated", BAR2, "bar")]))
    return head + "".join(body) + "</svg>"


def sparkline(values: Sequence[float], *, score_range: tuple[float, float], label: str) -> str:
    """A small trend line (120x28) for summaries; `label` is its accessible name."""
    w, h, pad = 120, 28, 3
    low, high = score_range
    span = (high - low) or 1
    if not values:
        return ""
    step = (w - 2 * pad) / max(len(values) - 1, 1)
    coords = " ".join(
        f"{round(pad + i * step, 1)},{round(h - pad - (v - low) / span * (h - 2 * pad), 1)}"
        for i, v in enumerate(values)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label="{escape(label)}">'
        f'<polyline points="{coords}" fill="none" stroke="{SCORE}" stroke-width="2"/></svg>'
    )


BAR_COLOURS = (SCORE, "#c77700", "#5b6b78", "#0b6e4f")
BAR_LABEL_WIDTH = 200  # room on the left for category names (conditions, months, event kinds)
BAR_ROW_GAP = 10


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str,
    css_class: str,
    empty_message: str,
) -> str:
    """Horizontal grouped bars: one row per category, one bar per series, each bar labelled
    with its value so the picture reads without colour. `series`: (label, values), values in
    category order; None draws no bar and reads "no data".

    The chart grows with its categories; the height is in the viewBox, so the page and the PDF
    scale it the same way.
    """
    if not categories or not series:
        return _empty(title, empty_message, css_class)
    bar = 14
    row = bar * len(series) + BAR_ROW_GAP
    top = TOP + 4
    height = top + row * len(categories) + 36
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = _nice_ticks(0, max(max(values, default=0), 1e-9) or 1)
    high = max(ticks[-1], max(values, default=0)) or 1
    plot_width = WIDTH - BAR_LABEL_WIDTH - RIGHT - 44  # room for the value after the bar

    def x(value: float) -> float:
        return round(BAR_LABEL_WIDTH + value / high * plot_width, 1)

    words = "; ".join(
        f"{category}: "
        + ", ".join(
            f"{label} {_fmt(vs[i]) if vs[i] is not None else 'no data'}" for label, vs in series
        )
        for i, category in enumerate(categories)
    )
    uid = f"chart{next(_ids)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-size="12">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(f"{title} ({unit}). {words}.")}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>'
    ]
    axis_y = top + row * len(categories)
    for t in ticks:
        out.append(
            f'<line x1="{x(t)}" y1="{top}" x2="{x(t)}" y2="{axis_y}" stroke="{GRID}"/>'
            f'<text x="{x(t)}" y="{axis_y + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{_fmt(t)}</text>"
        )
    out.append(
        f'<text x="{BAR_LABEL_WIDTH + plot_width / 2}" y="{axis_y + 30}" text-anchor="middle" '
        f'fill="{INK}">{escape(unit)}</text>'
    )
    for i, category in enumerate(categories):
        y0 = top + i * row
        out.append(
            f'<text x="{BAR_LABEL_WIDTH - 8}" y="{y0 + row / 2}" text-anchor="end" '
            f'fill="{INK}" font-size="11">{escape(_clip(category))}</text>'
        )
        for j, (_, vs) in enumerate(series):
            value = vs[i]
            y = y0 + j * bar + 2
            colour = BAR_COLOURS[j % len(BAR_COLOURS)]
            if value is None:
                out.append(
                    f'<text x="{BAR_LABEL_WIDTH + 4}" y="{y + bar - 3}" fill="{MUTED}" '
                    f'font-size="10">no data</text>'
                )
                continue
            end = x(value)
            out.append(
                f'<rect x="{BAR_LABEL_WIDTH}" y="{y}" width="{round(end - BAR_LABEL_WIDTH, 1)}" '
                f'height="{bar - 2}" fill="{colour}"/>'
                f'<text x="{end + 4}" y="{y + bar - 4}" fill="{INK}" font-size="10">'
                f"{_fmt(value)}</text>"
            )
    out.append(f'<line x1="{BAR_LABEL_WIDTH}" y1="{top}" x2="{BAR_LABEL_WIDTH}" y2="{axis_y}" ')
    out.append(f'stroke="{INK}"/>')
    if len(series) > 1:
        out.append(
            _legend(
                [
                    (label, BAR_COLOURS[j % len(BAR_COLOURS)], "bar")
                    for j, (label, _) in enumerate(series)
                ]
            )
        )
    return "".join(out) + "</svg>"


def _clip(text: str, limit: int = 28) -> str:
    """Category names longer than the label column are shortened; the table beside the chart
    and the chart's description carry the full name."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
