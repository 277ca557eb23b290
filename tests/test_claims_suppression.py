"""Disclosure control across outputs: no suppressed claims cell can be recovered from the
published cells of every level, plan and file (issue 7 §3).

The attacker (tests/disclosure_attack.py) is written apart from the product: it reads the
published tables as a user would, writes one equation per parent and its children (levels that
nest, and total = the age groups) from the geography of `zaitaku reference areas`
(stg_area_units), and solves for every suppressed cell.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from disclosure_attack import recovered
from factories.claim_lines import Line, add_lines, repeat
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.warehouse import Warehouse

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
# every file a run can write: (--by, --plan)
OUTPUTS = [
    ("ward", "8th"),
    ("municipality", "8th"),
    ("secondary-area", "8th"),
    ("secondary-area", "7th"),
    ("prefecture", "8th"),
]
UNITS = ("patients", "claims", "count")
AGE_GROUPS = ("under65", "65to74", "75plus", "unknown")
F_UNLISTED = "0310000009"


def published(wh: Warehouse, period: str, **kw: Any) -> dict[tuple[str, str], pl.DataFrame]:
    out = {}
    for level, plan in OUTPUTS:
        frame = pl.from_arrow(
            build_claims_by_area(wh, level=level, plan=plan, period=period, **kw).table
        )
        assert isinstance(frame, pl.DataFrame)
        out[(level, plan)] = frame
    return out


def geography(wh: Warehouse) -> dict[tuple[str, str], dict[str, str]]:
    """unit → area code of every output, as `zaitaku reference areas` publishes it, plus the
    unknown area of each prefecture (a pseudo unit 'U<pref>')."""
    areas: dict[tuple[str, str], dict[str, str]] = {}
    for plan in ("8th", "7th"):
        wh.materialize("staging/stg_area_units", {"plan": plan}, table="attack_units")
        for level, unit, area in wh.fetch_all(
            "select level, unit_code5, area_code from attack_units"
        ):
            if level != "secondary-area" and plan == "7th":
                continue
            areas.setdefault((level, plan), {})[unit] = area
    prefs = {unit[:2] for unit in areas[("prefecture", "8th")]} | {"00"}
    for (level, _), mapping in areas.items():
        for pref in prefs:
            mapping[f"U{pref}"] = {
                "prefecture": pref,
                "secondary-area": f"{pref}99",
            }.get(level, f"{pref}999")
    return areas


def area_equations(
    areas: dict[tuple[str, str], dict[str, str]],
) -> list[tuple[tuple[str, str, str], list[tuple[str, str, str]]]]:
    """parent area = sum of its child areas, for every pair of outputs that nest."""
    equations = []
    for coarse in OUTPUTS:
        for fine in OUTPUTS:
            if coarse == fine:
                continue
            children: dict[str, set[str]] = defaultdict(set)
            parents: dict[str, set[str]] = defaultdict(set)
            for unit, fine_area in areas[fine].items():
                children[areas[coarse][unit]].add(fine_area)
                parents[fine_area].add(areas[coarse][unit])
            for parent, kids in children.items():
                if all(len(parents[k]) == 1 for k in kids):
                    equations.append(((*coarse, parent), [(*fine, k) for k in sorted(kids)]))
    return equations


def fiscal_year(period: str) -> str:
    """'FY2023' of 'FY2023' and of '2023-04' … '2024-03'."""
    if period.startswith("FY"):
        return period
    year, month = int(period[:4]), int(period[5:7])
    return f"FY{year if month >= 4 else year - 1}"


def attack(
    files: dict[tuple[str, str], pl.DataFrame], areas: dict[tuple[str, str], dict[str, str]]
) -> set[tuple[Any, ...]]:
    """Every suppressed cell of `files` that the attacker recovers.

    A frame may hold fiscal years and months (the files of both period kinds put together):
    then each fiscal-year cell = the sum of the same cell of its twelve months (a month the
    files do not list is 0), for every unit, patients too (as if additive).
    """
    templates = area_equations(areas)
    blocks: dict[tuple[Any, ...], dict[tuple[Any, ...], int | None]] = defaultdict(dict)
    for output, frame in files.items():
        for row in frame.iter_rows(named=True):
            for unit in UNITS:
                block = (fiscal_year(row["period"]), row["indicator"], row["basis"], unit)
                cell = (row["period"], *output, row["area_code"], row["age_group"])
                blocks[block][cell] = row[unit]
    involving: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for number, (parent, children) in enumerate(templates):
        for area in (parent, *children):
            involving[area].append(number)
    found: set[tuple[Any, ...]] = set()
    for block, cells in blocks.items():
        if all(v is not None for v in cells.values()):
            continue
        equations: list[tuple[Any, list[Any]]] = []
        periods = sorted({c[0] for c in cells})
        for period in periods:
            # equations between areas that are all absent (0 = 0) tell nothing
            present = {c[1:4] for c in cells if c[0] == period}
            used = sorted({n for area in present for n in involving.get(area, [])})
            for age in ("total", *AGE_GROUPS):
                equations += [
                    ((period, *templates[n][0], age), [(period, *c, age) for c in templates[n][1]])
                    for n in used
                ]
        places = {c[1:4] for c in cells}
        for period in periods:
            for output_area in places:
                equations.append(
                    (
                        (period, *output_area, "total"),
                        [(period, *output_area, g) for g in AGE_GROUPS],
                    )
                )
        year = block[0]
        if year in periods and len(periods) > 1:
            start = int(year[2:])
            months = [f"{start}-{m:02d}" for m in range(4, 13)]
            months += [f"{start + 1}-{m:02d}" for m in range(1, 4)]
            for output_area in places:
                for age in ("total", *AGE_GROUPS):
                    equations.append(
                        ((year, *output_area, age), [(m, *output_area, age) for m in months])
                    )
        found |= {(*block[1:], *cell) for cell in recovered(cells, equations)}
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The demo data of `make demo`: bureau list and KDB-style sample of data/raw."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    wh = Warehouse(path)
    ingest_facility_lists(wh, [RAW / "bureau_tohoku_2025-10.xlsx"])
    ingest_claim_extracts(wh, [RAW / "kdb_claims_sample.csv"])
    return wh


def test_oofunato_cannot_be_recovered_from_the_prefecture(demo: Warehouse) -> None:
    # Issue 7 §3: in FY2023 zaiisoukan (facility basis) 大船渡市 was the only suppressed
    # municipality of 岩手, and 岩手's 916 minus the other municipalities gave its 9 back.
    files = published(demo, "fiscal-year")
    pref = files[("prefecture", "8th")].filter(
        (pl.col("period") == "FY2023")
        & (pl.col("indicator") == "zaiisoukan")
        & (pl.col("basis") == "facility")
        & (pl.col("age_group") == "total")
        & (pl.col("area_code") == "03")
    )
    assert pref["count"].to_list() == [916]
    muni = files[("municipality", "8th")].filter(
        (pl.col("period") == "FY2023")
        & (pl.col("indicator") == "zaiisoukan")
        & (pl.col("basis") == "facility")
        & (pl.col("age_group") == "total")
        & pl.col("area_code").str.starts_with("03")
    )
    hidden = muni.filter(pl.col("count_suppressed"))["area_name"].to_list()
    assert "大船渡市" in hidden
    # a second municipality is hidden with it, so 916 minus the shown ones is a sum of two
    assert len(hidden) >= 2
    assert 916 - muni["count"].sum() > 9


@pytest.mark.slow
def test_attacker_recovers_nothing_from_the_demo_outputs(demo: Warehouse) -> None:
    areas = geography(demo)
    both = {}
    for period in ("fiscal-year", "month"):
        files = published(demo, period)
        hidden = sum(int(f["suppressed"].sum()) for f in files.values())
        assert hidden > 0
        for output, frame in files.items():
            frame = frame.filter(pl.col("period").is_in(FY2023))
            both[output] = pl.concat([both[output], frame]) if output in both else frame
    # FY2023 and its twelve months together (the year = the sum of its months). An attacker of
    # one period's files alone knows a subset of these cells and equations, so whatever they
    # could recover this one recovers too: one attack covers all three. FY2024 has the same
    # shape; attacking it too doubles the test's minutes (exact SVDs) and finds nothing more.
    assert sum(int(f["suppressed"].sum()) for f in both.values()) > 0
    assert attack(both, areas) == set()


FY2023 = ["FY2023", *(f"2023-{m:02d}" for m in range(4, 13)), "2024-01", "2024-02", "2024-03"]


def test_pattern_is_the_same_whichever_level_is_written(demo: Warehouse, tmp_path: Path) -> None:
    # A fresh connection that writes only the municipality file gets the same pattern as a run
    # that wrote every level before it (the cells of all levels are computed each time).
    together = published(demo, "fiscal-year")[("municipality", "8th")]
    demo.con.execute("drop table if exists temp.int_claim_cells")
    demo._claim_cells_key = None  # type: ignore[attr-defined]
    # (cache=False: computed again, not read back from the warehouse's cache of the first run)
    alone = pl.from_arrow(build_claims_by_area(demo, level="municipality", cache=False).table)
    assert isinstance(alone, pl.DataFrame)
    assert alone.equals(together)


def test_min_facilities_hides_cells_of_few_facilities(demo: Warehouse) -> None:
    plain = published(demo, "fiscal-year")[("municipality", "8th")]
    files = published(demo, "fiscal-year", min_facilities=3)
    strict = files[("municipality", "8th")]
    # a shown non-zero count billed by 1 or 2 facilities is hidden with --min-facilities 3
    few = plain.filter(
        (pl.col("count") > 0) & (pl.col("facilities") < 3) & ~pl.col("count_suppressed")
    )
    assert few.height > 0
    keys = ["period", "area_code", "indicator", "basis", "age_group"]
    assert strict.join(few.select(keys), on=keys)["count_suppressed"].all()
    assert attack(files, geography(demo)) == set()


# -- a small case worked out by hand ------------------------------------------------------------
MORIOKA, TAKIZAWA, HANAMAKI = "03201", "03216", "03205"  # 盛岡 area 0301: 盛岡, 滝沢; 0302: 花巻


def test_three_municipalities_in_two_areas(warehouse: Warehouse) -> None:
    """One patient per line, residence basis; under65 (age 50) and 75plus (age 80):

                 under65  75plus  total
    盛岡市          3       12      15
    滝沢市         11       14      25
    花巻市          2       30      32
    盛岡 (0301)    14       26      40
    岩手中部 (0302)  2       30      32
    岩手県         16       56      72

    Primary: 盛岡 3, 花巻 2 and 岩手中部 2 (1–9). Then each equation with exactly one hidden
    cell hides its smallest shown cell (areas first, then age groups, repeated):
      under65: 0301 = 盛岡 + 滝沢 → 滝沢 11;  県 = 0301 + 0302 → 0301 14;
      age rows: 盛岡 15 = 3 + 12 → 12;  滝沢 25 = 11 + 14 → 14;  花巻 and 岩手中部 → 30;
                0301 40 = 14 + 26 → 26.
    Every row and column now has 0 or ≥ 2 hidden cells. Exactly: the unknowns are the six
    municipality cells; the shown totals (15, 25, 32) and the prefecture's 16 and 56 give 4
    independent equations, so two directions stay free, e.g. (+1, −1, −1, +1, 0, 0) over
    (盛岡 u65, 盛岡 75+, 滝沢 u65, 滝沢 75+, 花巻 u65, 花巻 75+) and (+1, −1, 0, 0, −1, +1): every
    hidden cell moves, none is recoverable. Totals and the prefecture's cells stay shown.
    """
    lines = (
        repeat(Line("", "2023-05", F_UNLISTED, MORIOKA, age=50), 3, "m-u")
        + repeat(Line("", "2023-05", F_UNLISTED, MORIOKA, age=80), 12, "m-o")
        + repeat(Line("", "2023-05", F_UNLISTED, TAKIZAWA, age=50), 11, "t-u")
        + repeat(Line("", "2023-05", F_UNLISTED, TAKIZAWA, age=80), 14, "t-o")
        + repeat(Line("", "2023-05", F_UNLISTED, HANAMAKI, age=50), 2, "h-u")
        + repeat(Line("", "2023-05", F_UNLISTED, HANAMAKI, age=80), 30, "h-o")
    )
    add_lines(warehouse, lines)
    files = published(warehouse, "fiscal-year")

    def shown(output: tuple[str, str], area: str) -> list[int | None]:
        frame = files[output].filter(
            (pl.col("indicator") == "houmon_shinryo")
            & (pl.col("basis") == "residence")
            & (pl.col("area_code") == area)
        )
        by_age = {r["age_group"]: r["patients"] for r in frame.iter_rows(named=True)}
        return [by_age["under65"], by_age["75plus"], by_age["total"]]

    muni = ("municipality", "8th")
    area = ("secondary-area", "8th")
    assert shown(muni, MORIOKA) == [None, None, 15]
    assert shown(muni, TAKIZAWA) == [None, None, 25]
    assert shown(muni, HANAMAKI) == [None, None, 32]
    assert shown(area, "0301") == [None, None, 40]
    assert shown(area, "0302") == [None, None, 32]
    assert shown(("prefecture", "8th"), "03") == [16, 56, 72]
    # the same pattern in the ward file and the 7th plan (岩手's areas are the same)
    assert shown(("ward", "8th"), TAKIZAWA) == [None, None, 25]
    assert shown(("secondary-area", "7th"), "0301") == [None, None, 40]
    assert attack(files, geography(warehouse)) == set()


SHIZUKUISHI = "03301"  # 雫石町, in 盛岡 area 0301 with 盛岡市 and 滝沢市


def test_a_zero_of_a_month_file_is_hidden_where_only_a_zero_protects(
    warehouse: Warehouse,
) -> None:
    """One patient per line, 75plus, residence basis, FY2023:

                 April   May   June … March          FY2023
    盛岡市          3      -       0 …  0                 3
    滝沢市          4      -       0 …  0                 4
    雫石町          0      -      20 … 29 (one more      245
                                         each month)
    0301 = 03       7      -      20 … 29                252

    May has no claim at all: the month files do not list it (no row to hide anything in).
    The year hides 盛岡 3 and 滝沢 4 (1–9; 0301's 252 needs two hidden). April hides 盛岡,
    滝沢, 0301 and 03 (1–9). Then, with the year published:
      0301(Apr) = 0301(FY) − 0301(Jun … Mar): 0301(Jun) 20 hidden; 0301(Jun) = 雫石(Jun) (the
        others are 0): 雫石(Jun) hidden; 雫石(Jun) = 雫石(FY) − its other months: 雫石(Jul) 21
        hidden, and with it 0301(Jul) (= 雫石(Jul));
      still 0301(Apr) = 盛岡(Apr) + 滝沢(Apr) = 盛岡(FY) + 滝沢(FY) = 0301(FY) − 雫石(FY) = 7,
        whatever the months hide, since 盛岡 and 滝沢 are 0 in every other month: only a zero
        hidden among those breaks it, the first listed one, 盛岡's June (May is not listed).
    """
    months = [f"2023-{m:02d}" for m in range(6, 13)] + [f"2024-{m:02d}" for m in (1, 2, 3)]
    lines = repeat(Line("", "2023-04", F_UNLISTED, MORIOKA), 3, "w1") + repeat(
        Line("", "2023-04", F_UNLISTED, TAKIZAWA), 4, "w2"
    )
    for i, month in enumerate(months):
        lines += repeat(Line("", month, F_UNLISTED, SHIZUKUISHI), 20 + i, f"w3-{month}")
    add_lines(warehouse, lines)
    years = published(warehouse, "fiscal-year")
    files = published(warehouse, "month")
    muni = files[("municipality", "8th")].filter(
        (pl.col("indicator") == "houmon_shinryo") & (pl.col("basis") == "residence")
    )
    hidden = muni.filter(pl.col("patients_suppressed"))
    assert sorted(hidden.select("period", "area_code", "age_group").rows()) == [
        ("2023-04", area, age) for area in (MORIOKA, TAKIZAWA) for age in ("75plus", "total")
    ] + [
        ("2023-06", area, age) for area in (MORIOKA, SHIZUKUISHI) for age in ("75plus", "total")
    ] + [("2023-07", SHIZUKUISHI, age) for age in ("75plus", "total")]
    # 盛岡's June: nothing counted, published as hidden (null, flagged), in all three units
    june = muni.filter(
        (pl.col("period") == "2023-06")
        & (pl.col("area_code") == MORIOKA)
        & (pl.col("age_group") == "total")
    ).row(0, named=True)
    assert [june[u] for u in (*UNITS, "facilities")] == [None, None, None, 0]
    assert "2023-05" not in set(muni["period"])
    # the area file hides 0301 in April, June and July; the prefecture 03 the same
    area = files[("secondary-area", "8th")].filter(
        (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == "residence")
        & (pl.col("area_code") == "0301")
        & (pl.col("age_group") == "total")
    )
    assert area.filter(pl.col("suppressed"))["period"].to_list() == [
        "2023-04",
        "2023-06",
        "2023-07",
    ]
    both = {k: pl.concat([years[k], files[k]]) for k in years}
    assert attack(both, geography(warehouse)) == set()
