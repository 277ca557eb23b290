"""Charts: suppressed values are never drawn (no bar, a break in a line), Japanese text is drawn
from the packaged IPAexGothic with no missing glyph, ids stay unique on a page of several SVGs,
and the same data give the same file."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from zaitaku_cli.report import charts


def _marks(svg: str) -> list[str]:
    return re.findall(r'<g id="([^"]*-mark-\d+)"', svg)


def test_suppressed_and_zero_bars_draw_no_mark() -> None:
    chart = charts.horizontal_bars(
        "t",
        "訪問診療の実患者数",
        [
            charts.Bar("盛岡市", "盛岡", [12]),
            charts.Bar("滝沢市", "盛岡", [None]),  # suppressed: '秘匿', no bar
            charts.Bar("雫石町", "盛岡", [0]),  # a real 0: no bar either, labelled 0
            charts.Bar("花巻市", "岩手中部", [30]),
        ],
        ["実患者数"],
        xlabel="人",
        description="テスト",
    )
    assert _marks(chart.svg()) == ["t-mark-0", "t-mark-1"]


def test_stacked_bars_one_mark_per_drawn_segment() -> None:
    chart = charts.horizontal_bars(
        "s",
        "届出数",
        [charts.Bar("盛岡市", "盛岡", [1, 0, 2]), charts.Bar("滝沢市", "盛岡", [0, 0, 1])],
        ["支援診1", "支援診2", "支援診3"],
        xlabel="医療機関数",
        description="テスト",
        stacked=True,
    )
    # 盛岡市: 支援診1 and 支援診3; 滝沢市: 支援診3 — three segments, none for the zeros
    assert len(_marks(chart.svg())) == 3


def test_a_suppressed_month_breaks_the_line() -> None:
    from datetime import date

    months = [date(2024, m, 1) for m in (4, 5, 6)]
    chart = charts.lines(
        "l",
        "月別",
        months,
        [charts.Line("訪問診療", [12, None, 15])],
        ylabel="人",
        description="テスト",
    )
    svg = chart.svg()
    assert _marks(svg) == ["l-mark-0"]
    body = svg.split('<g id="l-mark-0">', 1)[1].split("</g>", 1)[0]
    path = re.search(r'<path d="([^"]*)"', body)
    assert path is not None
    # two single points either side of the gap: the line never passes through the missing month
    assert path.group(1).count("M") == 2 and "L" not in path.group(1)


def test_japanese_text_has_every_glyph(tmp_path: Path) -> None:
    from matplotlib import font_manager

    charts._register_font()
    found = font_manager.findfont(
        font_manager.FontProperties(family=charts.FONT_FAMILY), fallback_to_default=False
    )
    # the packaged file, or the same font installed by the system (Debian fonts-ipaexfont-gothic)
    assert font_manager.get_font(found).family_name == "IPAexGothic"
    assert charts.japanese_font().name == "ipaexg.ttf"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = charts.horizontal_bars(
            "j",
            "在宅療養支援診療所・病院（二次医療圏別、令和７年１０月）",
            [charts.Bar("七ヶ宿町", "仙南", [3]), charts.Bar("葛巻町", "盛岡", [None])],
            ["実患者数"],
            xlabel="医療機関数（秘匿を含む）",
            description="テスト",
        )
        chart.png(tmp_path / "j.png")
        chart.svg()
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_ids_are_unique_across_charts_and_output_is_stable() -> None:
    def make(chart_id: str) -> str:
        return charts.horizontal_bars(
            chart_id,
            "同じ図",
            [charts.Bar("盛岡市", "盛岡", [12]), charts.Bar("滝沢市", "盛岡", [4])],
            ["実患者数"],
            xlabel="人",
            description='"引用符" & <記号>',
        ).svg()

    first, second = make("a"), make("b")
    ids = re.findall(r'\bid="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
    refs = re.findall(r'href="#([^"]+)"', first) + re.findall(r"url\(#([^)]+)\)", first)
    assert refs and set(refs) <= set(ids)
    assert make("a") == first  # no date, no random id: the same report twice is the same file
    assert 'aria-label="&quot;引用符&quot; &amp; &lt;記号&gt;"' in first
