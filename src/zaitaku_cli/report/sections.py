"""The sections of the report: tables and charts made from the tables of `data`.

Each section is built by one function from ReportData; a section whose data are not available
(rates, projection, supply before issue 8 lands) is kept with a visible note saying why.
Cells are made here once (Cell), so the page, the charts and the tests agree on what is shown:
a suppressed value is '-' in a table and 秘匿 (no bar, a break in a line) in a chart.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.i18n import t
from zaitaku_cli.labels import value_label
from zaitaku_cli.reference import categories
from zaitaku_cli.report import charts
from zaitaku_cli.report.data import (
    ReportData,
    SectionUnavailable,
    latest_fiscal_year,
    months_in,
    projection_table,
    rates_table,
    supply_table,
)

SUPPRESSED = "-"
SPLIT_CITY_GROUP = "複数の二次医療圏にまたがる市"
UNKNOWN_GROUP = "所在地不明（届出名簿に該当なし）"


def level_name_ja(level: str) -> str:
    """二次医療圏 for secondary-area: the area level's label (labels.csv, area_level)."""
    return value_label("area_level", level) or level


@cache
def display() -> dict[str, Any]:
    return tomllib.loads((Path(__file__).parent / "display.toml").read_text(encoding="utf-8"))


@dataclass
class Cell:
    text: str
    numeric: bool = False
    suppressed: bool = False
    value: float | None = None  # what a chart draws; None when suppressed or absent

    @classmethod
    def number(cls, value: Any, *, suppressed: bool = False, digits: int = 0) -> Cell:
        if suppressed:
            return cls(SUPPRESSED, numeric=True, suppressed=True)
        if value is None:
            return cls("", numeric=True)
        text = f"{value:,.{digits}f}" if digits else f"{round(value):,}"
        return cls(text, numeric=True, value=float(value))


@dataclass
class TableView:
    table_id: str
    caption: str
    headers: list[str]
    groups: list[tuple[str | None, list[list[Cell]]]]  # (group heading, rows)
    notes: list[str] = field(default_factory=list)
    collapsed: bool = False  # behind a <details> toggle: the data of a chart just above it
    kind: str = "table"


@dataclass
class ChartView:
    chart: charts.Chart
    notes: list[str] = field(default_factory=list)
    kind: str = "chart"

    @property
    def svg(self) -> str:
        return self.chart.svg()


@dataclass
class Card:
    label: str
    cell: Cell
    note: str


@dataclass
class Section:
    section_id: str
    title: str
    lead: str = ""
    blocks: list[TableView | ChartView] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def charts(self) -> list[charts.Chart]:
        return [b.chart for b in self.blocks if isinstance(b, ChartView)]


# -- cells from the published tables ------------------------------------------------------------


def _claims_index(
    frame: pl.DataFrame | None, period: str, age_group: str = "total"
) -> dict[tuple[str, str, str], dict[str, Any]]:
    if frame is None:
        return {}
    part = frame.filter((pl.col("period") == period) & (pl.col("age_group") == age_group))
    return {(r["area_code"], r["indicator"], r["basis"]): r for r in part.iter_rows(named=True)}


def claims_cell(
    index: dict[tuple[str, str, str], dict[str, Any]],
    area_code: str,
    indicator: str,
    unit: str,
    basis: str,
) -> Cell:
    """The published cell, '-' where suppressed; empty where the output has no such row."""
    row = index.get((area_code, indicator, basis))
    if row is None:
        return Cell("", numeric=True)
    if unit == "facilities":
        return Cell.number(row["facilities"])
    return Cell.number(row[unit], suppressed=bool(row[f"{unit}_suppressed"]))


def _category_labels() -> list[tuple[str, str, str]]:
    return [
        (r["category"], r["short_ja"], r["name_ja"])
        for r in categories().sort(pl.col("display_order").cast(pl.Int32)).iter_rows(named=True)
    ]


def _facility_index(frame: pl.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["area_code"], r["category"]): r for r in frame.iter_rows(named=True)}


def _facility_cell(index: dict[tuple[str, str], dict[str, Any]], area: str, category: str) -> Cell:
    row = index.get((area, category))
    if row is None:
        return Cell("", numeric=True)
    cell = Cell.number(row["facilities"])
    if row.get("area_coverage") == "partial":
        cell.text += "※"
    return cell


def _areas_of(frame: pl.DataFrame | None) -> list[tuple[str, str]]:
    if frame is None or frame.is_empty():
        return []
    return [
        (str(r[0]), str(r[1]))
        for r in frame.select("area_code", "area_name").unique().sort("area_code").iter_rows()
    ]


def _merge_areas(*lists: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for items in lists:
        for code, name in items:
            seen.setdefault(code, name)
    return sorted(seen.items())


# -- sections -----------------------------------------------------------------------------------


def key_figures(data: ReportData) -> Section:
    """Four figures of the prefecture, each a published cell of the prefecture level."""
    pref_claims, pref_fac = data.claims_pref, data.facilities_pref
    section = Section("key", f"{data.pref_name}の在宅医療（要点）")
    if pref_claims is not None:
        fy = latest_fiscal_year(pref_claims)
        index = _claims_index(pref_claims, fy)
        code = data.pref_code
        for label, indicator, unit, basis, note in (
            (
                "訪問診療を受けた患者",
                "houmon_shinryo",
                "patients",
                "residence",
                f"{fy}・実患者数・住所地",
            ),
            (
                "訪問診療を実施した医療機関",
                "houmon_shinryo",
                "facilities",
                "facility",
                f"{fy}・所在地",
            ),
            (
                "在宅で看取られた患者",
                "mitori",
                "patients",
                "residence",
                f"{fy}・看取り加算等・実患者数",
            ),
        ):
            section.cards.append(
                Card(label, claims_cell(index, code, indicator, unit, basis), note)
            )
    if not pref_fac.is_empty():
        index_f = _facility_index(pref_fac)
        as_of = pref_fac["as_of"].max()
        when = f"{as_of:%Y年%-m月%-d日}現在" if isinstance(as_of, date) else "日付なし"
        section.cards.append(
            Card(
                "在医総管の届出医療機関",
                _facility_cell(index_f, data.pref_code, "zaiisoukan"),
                f"{when}・届出受理医療機関名簿",
            )
        )
    return section


def summary(data: ReportData) -> Section:
    """Per area of the report's level: facilities by category, then the claims figures."""
    level_ja = level_name_ja(data.level)
    section = Section(
        "summary",
        f"{level_ja}別の概要",
        lead=f"{data.pref_name}の{level_ja}ごとの届出施設数と診療実績です。",
    )
    if not data.facilities_level.is_empty():
        section.blocks.append(
            _facility_table(
                "summary-facilities",
                f"{level_ja}別 在宅医療に関する届出施設数",
                data.facilities_level,
                [(None, _areas_of(data.facilities_level))],
                first_header=level_ja,
            )
        )
    if data.claims_level is not None:
        section.blocks.append(
            _claims_table(
                "summary-claims",
                f"{level_ja}別 診療実績",
                data,
                data.claims_level,
                [(None, _areas_of(data.claims_level))],
                first_header=level_ja,
            )
        )
    return section


def _municipality_groups(
    data: ReportData, extra: Iterable[tuple[str, str]]
) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """Municipalities grouped by their 二次医療圏 in area order; split 政令市 and areas of no
    municipality (所在地不明) last."""
    groups: dict[str | None, list[tuple[str, str]]] = {}
    names: dict[str | None, str] = {}
    for r in data.areas.sort("secondary_area_code", "municipality_code", nulls_last=True).iter_rows(
        named=True
    ):
        key = r["secondary_area_code"]
        groups.setdefault(key, []).append((r["municipality_code"], r["municipality_name"]))
        names[key] = r["secondary_area_name"] or SPLIT_CITY_GROUP
    known = {code for members in groups.values() for code, _ in members}
    others = [(c, n) for c, n in extra if c not in known]
    ordered: list[tuple[str | None, list[tuple[str, str]]]] = [
        (names[k], v) for k, v in groups.items()
    ]
    if others:
        ordered.append((UNKNOWN_GROUP, others))
    return ordered


def _facility_table(
    table_id: str,
    caption: str,
    frame: pl.DataFrame,
    groups: Sequence[tuple[str | None, list[tuple[str, str]]]],
    *,
    first_header: str,
) -> TableView:
    labels = _category_labels()
    index = _facility_index(frame)
    source, as_of = frame["source"][0], frame["as_of"].max()
    rows_by_group = [
        (
            group,
            [
                [Cell(name), *(_facility_cell(index, code, c) for c, _, _ in labels)]
                for code, name in members
            ],
        )
        for group, members in groups
    ]
    when = f"{as_of:%Y年%-m月%-d日}現在" if isinstance(as_of, date) else "日付なし"
    source_ja = "地方厚生局 届出受理医療機関名簿" if source == "bureau_list" else "県の集計表"
    notes = [
        f"出典: {source_ja}（{when}）。施設数は医療機関の数。区分は重複するため合計しないでください"
        "（在支診・在支病の多くは在医総管も届け出ています）。",
        "略称: " + "、".join(f"{short} = {name}" for _, short, name in labels),
    ]
    if frame.filter(pl.col("area_coverage") == "partial").height:
        notes.append("※ 集計表が一部の市町村しか含まないため、この圏域の合計ではありません。")
    return TableView(
        table_id,
        caption,
        [first_header, *(short for _, short, _ in labels)],
        rows_by_group,
        notes,
    )


def _claims_table(
    table_id: str,
    caption: str,
    data: ReportData,
    frame: pl.DataFrame,
    groups: Sequence[tuple[str | None, list[tuple[str, str]]]],
    *,
    first_header: str,
) -> TableView:
    fy = latest_fiscal_year(frame)
    index = _claims_index(frame, fy)
    columns = display()["claims_columns"]
    rows_by_group = [
        (
            group,
            [
                [
                    Cell(name),
                    *(
                        claims_cell(index, code, c["indicator"], c["unit"], c["basis"])
                        for c in columns
                    ),
                ]
                for code, name in members
            ],
        )
        for group, members in groups
    ]
    months = months_in(data.claims_monthly_pref, fy)
    period_note = f"{fy}（{_fy_range(fy)}、{months}か月分）"
    if months and months < 12:
        period_note += "。12か月に満たないため、年度の値として他の年度と比べないでください"
    return TableView(
        table_id,
        f"{caption}（{fy}・全年齢）",
        [first_header, *(c["label"] for c in columns)],
        rows_by_group,
        [
            f"期間: {period_note}。",
            "住所地 = 患者の住所（市町村コード）による集計、"
            "所在地 = 請求した医療機関の所在地による集計。",
            "実患者数は期間中の実人数（市町村・圏域の間で足し上げられません）、"
            "レセプト件数は患者 × 医療機関 × 診療月の数。",
            "「-」は秘匿（1〜9 人・件、または秘匿値を逆算できるセル）。空欄は該当データなし。",
        ],
    )


def _fy_range(fy: str) -> str:
    year = int(fy.removeprefix("FY"))
    return f"{year}年4月〜{year + 1}年3月"


def municipalities_section(data: ReportData) -> Section:
    section = Section(
        "municipalities",
        "市町村別の状況",
        lead="二次医療圏ごとに市町村を並べています。",
    )
    extra = _merge_areas(_areas_of(data.claims_municipality))
    groups = _municipality_groups(data, extra)
    fac = data.facilities_municipality
    if not fac.is_empty():
        section.blocks.append(_facility_bar_chart(data, groups))
        section.blocks.append(
            _facility_table(
                "municipality-facilities",
                "市町村別 在宅医療に関する届出施設数",
                fac,
                [(g, m) for g, m in groups if g != UNKNOWN_GROUP],
                first_header="市町村",
            )
        )
    if data.claims_municipality is not None:
        section.blocks.append(_patients_bar_chart(data, groups))
        section.blocks.append(
            _claims_table(
                "municipality-claims",
                "市町村別 診療実績",
                data,
                data.claims_municipality,
                groups,
                first_header="市町村",
            )
        )
    return section


def _facility_bar_chart(
    data: ReportData, groups: Sequence[tuple[str | None, list[tuple[str, str]]]]
) -> ChartView:
    chosen = display()["facility_chart"]["categories"]
    short = {c: s for c, s, _ in _category_labels()}
    index = _facility_index(data.facilities_municipality)
    bars = [
        charts.Bar(
            name,
            group or "",
            [_facility_cell(index, code, c).value for c in chosen],
        )
        for group, members in groups
        if group != UNKNOWN_GROUP
        for code, name in members
    ]
    as_of = data.facility_source[1] or "日付なし"
    chart = charts.horizontal_bars(
        "facilities-by-municipality",
        f"在宅療養支援診療所・病院の届出数（市町村別、{as_of}）",
        bars,
        [short[c] for c in chosen],
        xlabel="医療機関数",
        description=(
            "市町村別の在宅療養支援診療所（支援診1〜3）と在宅療養支援病院（支援病1〜3）の"
            "届出医療機関数の積み上げ横棒グラフ。数値は下の表のとおり。"
        ),
        stacked=True,
    )
    return ChartView(
        chart,
        [
            "1 医療機関は 1 区分だけに数えています（機能強化型・単独 > 連携 > 従来型）。"
            "数値は下の表を参照。"
        ],
    )


def _patients_bar_chart(
    data: ReportData, groups: Sequence[tuple[str | None, list[tuple[str, str]]]]
) -> ChartView:
    assert data.claims_municipality is not None
    fy = latest_fiscal_year(data.claims_municipality)
    index = _claims_index(data.claims_municipality, fy)
    bars = [
        charts.Bar(name, group or "", [_value_or_none(index, code)])
        for group, members in groups
        if group != UNKNOWN_GROUP
        for code, name in members
    ]
    chart = charts.horizontal_bars(
        "houmon-patients-by-municipality",
        f"訪問診療を受けた患者数（市町村別、{fy}、住所地）",
        bars,
        ["訪問診療 実患者数"],
        xlabel="実患者数（人）",
        description=(
            f"{fy}に訪問診療を受けた患者の実人数を住所地の市町村別に示す横棒グラフ。"
            "秘匿の市町村は棒を描かず「秘匿」と表示。数値は下の表のとおり。"
        ),
    )
    return ChartView(chart, ["「秘匿」は 1〜9 人など公表できない値です（0 ではありません）。"])


def _value_or_none(index: dict[tuple[str, str, str], dict[str, Any]], code: str) -> float | None:
    cell = claims_cell(index, code, "houmon_shinryo", "patients", "residence")
    return None if cell.suppressed else (cell.value or 0.0)


def rates_section(data: ReportData) -> Section:
    section = Section(
        "rates",
        "人口当たりの状況（市町村別）",
        lead="訪問診療の実患者数を 75 歳以上人口 1,000 人当たりで比べます。",
    )
    try:
        rates = rates_table(data)
    except SectionUnavailable as exc:
        section.unavailable = str(exc)
        return section
    claims_rates = rates.filter(
        (pl.col("measure") == "houmon_shinryo")
        & (pl.col("unit") == "patients")
        & (pl.col("age_group") == "total")
        & (pl.col("denominator_kind") == "age75p")
    )
    if claims_rates.is_empty():
        section.unavailable = t(
            "no rate of 訪問診療 per 1,000 aged 75+ (no claims or no population)"
        )
        return section
    fy = str(claims_rates["period"].max())
    claims_rates = claims_rates.filter(pl.col("period") == fy)
    by_code = {r["area_code"]: r for r in claims_rates.iter_rows(named=True)}
    groups = [(g, m) for g, m in _municipality_groups(data, []) if g != UNKNOWN_GROUP]

    def cell(code: str) -> Cell:
        row = by_code.get(code)
        if row is None:
            return Cell("", numeric=True)
        return Cell.number(row["rate"], suppressed=bool(row["suppressed"]), digits=1)

    bars = [
        charts.Bar(name, group or "", [cell(code).value])
        for group, members in groups
        for code, name in members
    ]
    section.blocks.append(
        ChartView(
            charts.horizontal_bars(
                "houmon-rate-by-municipality",
                f"訪問診療の実患者数（75 歳以上人口 1,000 人当たり、{fy}）",
                bars,
                ["1,000 人当たり"],
                xlabel="75 歳以上人口 1,000 人当たりの実患者数",
                description=(
                    f"{fy}の訪問診療実患者数（全年齢）を 75 歳以上人口 1,000 人当たりで示す"
                    "市町村別の横棒グラフ。"
                ),
                integer=False,
            ),
            ["全年齢の患者数を 75 歳以上人口で割った比率です（75 歳以上の率ではありません）。"],
        )
    )
    section.blocks.append(
        TableView(
            "municipality-rates",
            f"市町村別 訪問診療 実患者数・人口当たり（{fy}）",
            ["市町村", "実患者数", "75 歳以上人口", "1,000 人当たり"],
            [
                (
                    g,
                    [
                        [
                            Cell(name),
                            Cell.number(
                                by_code.get(code, {}).get("numerator"),
                                suppressed=bool(by_code.get(code, {}).get("suppressed")),
                            ),
                            Cell.number(by_code.get(code, {}).get("denominator")),
                            cell(code),
                        ]
                        for code, name in m
                    ],
                )
                for g, m in groups
            ],
            ["人口: 住民基本台帳（denominator_as_of）。実患者数が秘匿の市町村は率も秘匿です。"],
        )
    )
    return section


def trends_section(data: ReportData) -> Section:
    section = Section(
        "trends",
        "月次の推移",
        lead="診療月ごとの実患者数（住所地）です。",
    )
    monthly = data.claims_monthly_pref
    if monthly is None:
        section.unavailable = t("no monthly claims of this prefecture")
        return section
    months = sorted(monthly["period"].unique().to_list())
    x = [date(int(m[:4]), int(m[5:7]), 1) for m in months]
    lines_spec = display()["monthly_lines"]
    pref_lines = []
    for spec in lines_spec:
        values = []
        for m in months:
            cell = claims_cell(
                _claims_index(monthly, m),
                data.pref_code,
                spec["indicator"],
                "patients",
                "residence",
            )
            values.append(None if cell.suppressed else cell.value)
        pref_lines.append(charts.Line(spec["label"], values))
    section.blocks.append(
        ChartView(
            charts.lines(
                "monthly-prefecture",
                f"{data.pref_name} 月別の実患者数",
                x,
                pref_lines,
                ylabel="実患者数（人）",
                description=f"{data.pref_name}の訪問診療・往診・看取りの月別実患者数の折れ線グラフ。",
            )
        )
    )
    section.blocks.append(
        TableView(
            "monthly-prefecture-table",
            f"{data.pref_name} 月別の実患者数（住所地）",
            ["診療月", *(s["label"] for s in lines_spec)],
            [
                (
                    None,
                    [
                        [Cell(m), *(_line_cell(line, i) for line in pref_lines)]
                        for i, m in enumerate(months)
                    ],
                )
            ],
            ["「-」は秘匿。月別の実患者数は月ごとの実人数で、年度の値とは足し上げられません。"],
            collapsed=True,
        )
    )
    level = data.claims_monthly_level
    if level is not None and data.level != "prefecture":
        areas = _areas_of(level.filter(pl.col("basis") == "residence"))
        area_lines = []
        for code, name in areas:
            values = []
            for m in months:
                cell = claims_cell(
                    _claims_index(level, m), code, "houmon_shinryo", "patients", "residence"
                )
                values.append(None if cell.suppressed else cell.value)
            area_lines.append(charts.Line(name, values))
        section.blocks.append(
            ChartView(
                charts.lines(
                    "monthly-houmon-by-area",
                    f"{level_name_ja(data.level)}別 訪問診療の月別実患者数",
                    x,
                    area_lines,
                    ylabel="実患者数（人）",
                    description=f"{level_name_ja(data.level)}ごとの訪問診療の月別実患者数の折れ線グラフ（小さな図を並べたもの）。",
                    panels=True,
                )
            )
        )
    return section


def _line_cell(line: charts.Line, i: int) -> Cell:
    value = line.values[i]
    return Cell.number(value, suppressed=value is None)


def projection_section(data: ReportData) -> Section:
    section = Section(
        "projection",
        "将来の需要の見込み（2050 年まで）",
        lead=(
            "基準年度の利用率（患者数 ÷ 人口）に将来推計人口を掛けた、"
            "訪問診療の患者数の見込みです。"
        ),
    )
    try:
        proj = projection_table(data)
    except SectionUnavailable as exc:
        section.unavailable = str(exc)
        return section
    level_ja = level_name_ja(data.level)
    table = proj.table.filter(pl.col("age_group").is_in(["total", "75plus"]))
    years = sorted(int(y) for y in table["year"].unique().to_list())
    areas = _areas_of(table)
    by_key = {
        (r["area_code"], r["age_group"], int(r["year"])): r for r in table.iter_rows(named=True)
    }

    def cell(code: str, age_group: str, year: int) -> Cell:
        row = by_key.get((code, age_group, year))
        if row is None:
            return Cell("", numeric=True)
        withheld = row.get("status") == "suppressed" or row["projected_patients"] is None
        return Cell.number(row["projected_patients"], suppressed=withheld)

    # 75+: where home-care demand is, and the group a suppressed small group withholds least
    series = [
        charts.Line(name, [cell(code, "75plus", y).value for y in years]) for code, name in areas
    ]
    shown = [line for line in series if any(v is not None for v in line.values)]
    withheld = [line.name for line in series if all(v is None for v in line.values)]
    notes = [
        f"基準: {proj.base_period} の実患者数（住所地）÷ {proj.base_year} 年の人口 = 利用率、"
        "× 社人研 2023 年推計の将来人口。各圏域の縦軸の目盛りは異なります。"
    ]
    if withheld:
        notes.append(
            "基準年度の患者数が秘匿のため見込みを示せない圏域: " + "、".join(withheld) + "。"
        )
    if shown:
        section.blocks.append(
            ChartView(
                charts.lines(
                    "projection-by-area",
                    f"訪問診療の患者数の見込み（75 歳以上、{level_ja}別）",
                    years,
                    shown,
                    ylabel="患者数の見込み（人）",
                    description=(
                        f"{level_ja}別の 75 歳以上の訪問診療患者数の見込みを {years[0]}〜"
                        f"{years[-1]} 年について示す折れ線グラフ。基準年 {proj.base_year} に縦線。"
                    ),
                    marker_x=(proj.base_year, f"基準 {proj.base_period}"),
                    panels=True,
                    sharey=False,
                    gap_note="値のない年は秘匿のため見込みを示せない年です",
                ),
                notes,
            )
        )
    else:
        section.unavailable = t(
            "every base cell of {base} is suppressed at this level: try a coarser --level",
            base=proj.base_period,
        )
    section.blocks.append(
        TableView(
            "projection-table",
            f"訪問診療の患者数の見込み（{level_ja}別、人）",
            [
                level_ja,
                *(f"{y}\n{label}" for y in years for label in ("総数", "75 歳以上")),
            ],
            [
                (
                    None,
                    [
                        [
                            Cell(name),
                            *(cell(code, g, y) for y in years for g in ("total", "75plus")),
                        ]
                        for code, name in areas
                    ],
                )
            ],
            [
                "「-」は基準年度の患者数が秘匿のため示せない値（総数は年齢区分のどれかが秘匿なら示せません）。",
                "75 歳未満は国保加入者のみ（KDB）のため、総数の見込みは実際より少なめです。",
            ],
        )
    )
    return section


def supply_section(data: ReportData) -> Section:
    section = Section(
        "supply", "供給と需要", lead="訪問診療を実施する医療機関と、見込まれる患者数を比べます。"
    )
    try:
        supply = supply_table(data)
    except SectionUnavailable as exc:
        section.unavailable = str(exc)
        return section
    if supply.is_empty():
        section.unavailable = t("no area of this prefecture in supply_by_<level>")
        return section
    level_ja = level_name_ja(data.level)
    years = sorted(y for y in supply["year"].unique().to_list() if y is not None)
    shown = [y for y in (2030, 2040) if y in years] or years[:2]
    period = next((p for p in supply["base_period"].to_list() if p), None) or "-"
    rows = []
    for (code, name), part in supply.group_by(["area_code", "area_name"], maintain_order=True):
        first = part.row(0, named=True)
        by_year = {r["year"]: r for r in part.iter_rows(named=True)}
        cells = [
            Cell(str(name)),
            Cell.number(first["registered_shienshin"]),
            Cell.number(first["registered_shienbyo"]),
            Cell.number(first["billing_houmon_shinryo"]),
            Cell.number(first["patients"], suppressed=first["patients_suppressed"]),
        ]
        for year in shown:
            row = by_year.get(year, {})
            withheld = bool(row.get("projected_patients_75plus_suppressed"))
            cells.append(Cell.number(row.get("projected_patients_75plus"), suppressed=withheld))
            cells.append(
                Cell.number(
                    row.get("projected_75plus_per_billing_facility"),
                    suppressed=withheld,
                    digits=1,
                )
            )
        cells.append(Cell.number(first["stated_capacity"]))
        uncovered = first["municipalities_without_hub_names"]
        cells.append(Cell("" if uncovered is None else uncovered or "なし"))
        rows.append((str(code), cells))
    headers = [
        level_ja,
        "在支診",
        "在支病",
        f"訪問診療を算定した医療機関\n{period}",
        f"訪問診療の患者数\n{period}",
        *(h for y in shown for h in (f"75歳以上の見込み\n{y}", f"1 施設当たり\n{y}")),
        "実施可能件数\n（調査）",
        "連携拠点のない市町村",
    ]
    notes = [
        "在支診・在支病は届出受理医療機関名簿の施設数（3 区分の計）。算定した医療機関は医療機関"
        "所在地で数えた数（訪問診療を実施している診療所・病院数）。患者数は患者住所地。",
        "「-」は秘匿（1〜9 人、またはそこから逆算できる値）。1 施設当たり = 75 歳以上の見込み ÷ "
        "訪問診療を算定した医療機関数。",
        "実施可能件数は県の調査への回答の合計（調査の聞き方のまま）で、空欄は調査の取り込みなし。"
        "連携拠点のない市町村の空欄は拠点一覧の取り込みなし。",
        "レセプトは国保・後期高齢者のみ（KDB）。",
    ]
    section.blocks.append(
        TableView(
            "supply-table",
            f"供給と需要（{level_ja}別）",
            headers,
            [(None, [cells for _code, cells in sorted(rows, key=lambda r: r[0])])],
            notes,
        )
    )
    return section


SECTION_BUILDERS: tuple[Callable[[ReportData], Section], ...] = (
    key_figures,
    summary,
    municipalities_section,
    rates_section,
    trends_section,
    projection_section,
    supply_section,
)
