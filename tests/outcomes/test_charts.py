"""The SVG renderer (pure Python): accessible, numbers in words, MCID band where it belongs."""

import xml.etree.ElementTree as ET
from types import SimpleNamespace as S

from imsclinic.outcomes.charts import dose_chart, pain_chart, score_chart, sparkline

NS = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(svg)  # noqa: S314 - our own generated markup, not untrusted input


def test_pain_chart_is_well_formed_accessible_and_describes_each_session():
    svg = pain_chart(
        [S(number=1, pain_before=7, pain_after=4), S(number=2, pain_before=5, pain_after=None)]
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text.startswith("Pain before and after")
    assert "session 2: before 5, after not recorded" in root.find(f"{NS}desc").text
    assert len(root.findall(f"{NS}circle")) == 3


def test_score_chart_shades_the_mcid_band_around_the_baseline():
    svg = score_chart(
        name="Numeric Pain Rating Scale",
        abbreviation="NPRS",
        score_range=(0, 10),
        higher_is_better=False,
        mcid=2,
        baseline=6,
        points=[(0, 6), (2, 5), (4, 3)],
    )
    band = next(r for r in parse(svg).iter(f"{NS}rect") if r.get("class") == "mcid-band")
    # Plot area 28..220 px for 10..0: band 4..8 spans 40 % of 192 px.
    assert float(band.get("height")) == round(0.4 * 192, 1)
    assert "a score beyond 4 is a clinically important improvement" in svg


def test_score_chart_without_mcid_has_no_band_and_empty_charts_say_so():
    svg = score_chart(
        name="PGIC",
        abbreviation="PGIC",
        score_range=(1, 7),
        higher_is_better=False,
        mcid=None,
        baseline=None,
        points=[(4, 2)],
    )
    assert "mcid-band" not in svg
    assert "No NPRS scores recorded yet." in score_chart(
        name="N",
        abbreviation="NPRS",
        score_range=(0, 10),
        higher_is_better=False,
        mcid=2,
        baseline=None,
        points=[],
    )
    assert "No signed sessions yet." in dose_chart([])


def test_dose_chart_draws_two_bars_per_session_and_escapes_text():
    svg = dose_chart(
        [S(number=1, insertions=12, segments=3), S(number=2, insertions=8, segments=2)]
    )
    bars = [r for r in parse(svg).iter(f"{NS}rect") if r.get("fill") in ("#1f5fa8", "#c77700")]
    assert len(bars) == 4 + 2  # four bars and two legend swatches
    assert "<script" not in sparkline([1, 2], score_range=(0, 10), label="<script>")
