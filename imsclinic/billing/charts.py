"""A horizontal bar chart as an SVG string, drawn on the server (no JavaScript): each owner
report shows one. role="img" with a <title> and a <desc> stating every value in words, and the
page prints the same numbers as a table, so nothing depends on seeing the picture."""

from decimal import Decimal
from html import escape

WIDTH, ROW, LABEL, RIGHT, TOP = 640, 26, 190, 90, 8
INK, BAR, NEGATIVE = "#1d2b36", "#1f5fa8", "#b3261e"


def bar_chart(title: str, bars: list[tuple[str, Decimal]], *, unit: str = "") -> str:
    """Bars for (label, value); negative values (refunds) are drawn in red from the same axis."""
    height = TOP * 2 + ROW * max(len(bars), 1)
    desc = "; ".join(f"{label}: {value}{unit}" for label, value in bars) or "No data."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" font-family="DejaVu Sans, Arial, '
        f'sans-serif" font-size="12"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
    ]
    if not bars:
        parts.append(
            f'<text x="{LABEL}" y="{TOP + 16}" fill="{INK}">No data for this period.</text>'
        )
    largest = max((abs(value) for _, value in bars), default=Decimal(0)) or Decimal(1)
    span = WIDTH - LABEL - RIGHT
    for index, (label, value) in enumerate(bars):
        y = TOP + index * ROW
        length = float(abs(value) / largest) * span
        colour = NEGATIVE if value < 0 else BAR
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
            f"{escape(label[:28])}</text>"
            f'<rect x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 16}" fill="{INK}">'
            f"{escape(str(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
