"""Page breaks in the progress and discharge PDFs: no page holds a lone line, no heading is left
at the bottom of a page.

The test can fail. It lays the report out with WeasyPrint (the real renderer) with the
stylesheet's page-break rules taken out, and grows the plan, the last section, one sentence at a
time (a binary search on the number of sentences) to the first length that spills onto one more
page: there the new last page holds only the tail of the report, a line or two, and the test
first checks that the rule-less layout does strand it (so the content is a real trap). Then it
lays the very same reports out with the stylesheet as shipped and requires that no page holds
fewer than three lines and no page ends with a heading.
"""

import functools
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from imsclinic.reports import pdf

pytestmark = pytest.mark.django_db

HEADINGS = {"Summary", "Outcomes", "Sessions", "Precautions", "Adverse events", "Plan"}
# The page-break rules of reports.css (the declarations this test is about).
BREAK_RULES = re.compile(
    r"(?:page-)?break-(?:after|inside):\s*avoid;?|orphans:\s*\d+;?|widows:\s*\d+;?"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SENTENCE = "Keep up the home programme of walking and stretching between sessions."


def pages_of(pdf_bytes: bytes) -> list[list[str]]:
    """Text lines of each page, without the running "Page N of M" footer."""
    return [
        [
            line.strip()
            for line in page.extract_text().splitlines()
            if line.strip() and not line.strip().startswith("Page ")
        ]
        for page in PdfReader(io.BytesIO(pdf_bytes)).pages
    ]


def defects(pages: list[list[str]]) -> list[str]:
    found = []
    for number, lines in enumerate(pages, start=1):
        if len(pages) > 1 and len(lines) < 3:
            found.append(f"page {number} holds only {len(lines)} line(s): {lines}")
        if number < len(pages) and lines and lines[-1] in HEADINGS:
            found.append(f"page {number} ends with the heading {lines[-1]!r}")
    return found


def laid_out(html: str, css: str):
    """WeasyPrint's layout of `html` (its pages), before any PDF is written."""
    from weasyprint import CSS, HTML

    return HTML(string=html, base_url=str(Path(pdf._stylesheet()).parent)).render(
        stylesheets=[CSS(string=css)]
    )


def render(html: str, css: str) -> bytes:
    return laid_out(html, css).write_pdf()


@pytest.mark.parametrize("kind", ["progress", "discharge"])
def test_no_page_holds_a_lone_line_or_ends_with_a_heading(improving_course, kind):
    shipped = Path(pdf._stylesheet()).read_text()
    without_rules = BREAK_RULES.sub("", shipped)
    assert without_rules != shipped, "reports.css has page-break rules to test"
    context = pdf.report_context(
        patient=improving_course.patient, course=improving_course, kind=kind
    )

    def html_for(sentences: int) -> str:
        plan = " ".join([SENTENCE] * sentences)
        return pdf.render_html({**context, "plan": plan}, for_pdf=True)

    @functools.cache  # the search lays out the length it settles on once already
    def page_count_without_rules(sentences: int) -> int:
        # Counting pages needs only the layout: no PDF is written or read back for the search.
        return len(laid_out(html_for(sentences), without_rules).pages)

    # The first plan length that adds a page to the rule-less layout.
    base = page_count_without_rules(1)
    low, high = 1, 96
    assert page_count_without_rules(high) > base
    while high - low > 1:
        middle = (low + high) // 2
        if page_count_without_rules(middle) > base:
            high = middle
        else:
            low = middle
    stranded = pages_of(render(html_for(high), without_rules))
    assert len(stranded) == page_count_without_rules(high)
    assert defects(stranded), (
        "without the page-break rules the spilled page should hold a lone line",
        [len(lines) for lines in stranded],
    )

    for sentences in (low, high, high + 1):
        printed = render(html_for(sentences), shipped)
        if sentences == high:  # for a person to look at (pdftoppm -png)
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"report-page-breaks-{kind}.pdf").write_bytes(printed)
        pages = pages_of(printed)
        assert defects(pages) == [], (sentences, [len(lines) for lines in pages])
