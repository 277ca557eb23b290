"""Population at every level from the packaged tables, with the status of each figure.

Expected numbers are read off the packaged population.csv (住基 2025-01-01) and
population_projection.csv (社人研 2023) and added up by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from factories.population import population_file
from zaitaku_cli.ingest_population import ingest_population
from zaitaku_cli.population import build_population_by_area
from zaitaku_cli.warehouse import Warehouse

Key = tuple[str, int | None, str]  # area_code, year (None = 住基), kind


def figures(wh: Warehouse, level: str, plan: str = "8th") -> dict[Key, tuple[int | None, str]]:
    frame = pl.from_arrow(build_population_by_area(wh, level=level, plan=plan).table)
    assert isinstance(frame, pl.DataFrame)
    return {
        (r["area_code"], r["year"], r["kind"]): (r["value"], r["status"])
        for r in frame.iter_rows(named=True)
    }


def test_juki_sums_base_units_at_every_level(warehouse: Warehouse) -> None:
    mun = figures(warehouse, "municipality")
    # 盛岡市 03201: total 277,423, 65+ 81,969, 75+ 44,917 (its row in population.csv)
    assert mun["03201", None, "population"] == (277423, "exact")
    assert mun["03201", None, "age75p"] == (44917, "exact")
    assert mun["03201", None, "under65"] == (277423 - 81969, "exact")
    assert mun["03201", None, "age65to74"] == (81969 - 44917, "exact")
    # 仙台市 04100 at municipality level = its five wards, never the city row added again:
    # 296,338 + 187,541 + 138,173 + 234,710 + 207,380 = 1,064,142 (= the city row)
    assert mun["04100", None, "population"] == (1064142, "exact")

    area = figures(warehouse, "secondary-area")
    # 盛岡 0301 = 盛岡市 277,423 + 八幡平市 23,179 + 滝沢市 54,413 + 雫石町 14,995 + 葛巻町 5,293
    #   + 岩手町 11,542 + 紫波町 32,684 + 矢巾町 26,160 = 445,689; 75+: 44,917 + 5,454 + 7,620
    #   + 3,386 + 1,518 + 2,684 + 5,685 + 3,968 = 75,232
    assert area["0301", None, "population"] == (445689, "exact")
    assert area["0301", None, "age75p"] == (75232, "exact")

    pref = figures(warehouse, "prefecture")
    assert pref["03", None, "population"] == (1153900, "exact")  # the 岩手県 row

    ward = figures(warehouse, "ward")
    assert ward["04101", None, "population"] == (296338, "exact")
    # at ward level a 政令市 city code is "ward unknown", not a place with a population
    assert ("04100", None, "population") not in ward


def test_projection_prefecture_includes_the_hamadori_group(warehouse: Warehouse) -> None:
    pref = figures(warehouse, "prefecture")
    # 福島県 2025 = 1,731,549, the prefecture row, which holds 浜通り地域 07999 (421,046)
    assert pref["07", 2025, "population"] == (1731549, "exact")
    assert pref["07", 2050, "age75p"] == (346873, "exact")
    # all 47 prefectures add up to the national 2025 figure of PROVENANCE.md
    assert sum(v for (_, y, k), (v, _) in pref.items() if y == 2025 and k == "population") == (
        123262450
    )


def test_hamadori_municipalities_and_areas_are_missing_with_a_reason(
    warehouse: Warehouse,
) -> None:
    mun = figures(warehouse, "municipality")
    value, status = mun["07204", 2030, "population"]  # いわき市
    assert value is None
    assert status == (
        "missing: 社人研 2023 projects 07999 as one group of municipalities, "
        "which this area holds only in part"
    )
    assert mun["07204", None, "population"] == (303171, "exact")  # 住基 has いわき itself
    area = figures(warehouse, "secondary-area")
    for code in ("0706", "0707"):  # 相双 and いわき split the group
        assert area[code, 2040, "age75p"][0] is None
        assert area[code, 2040, "age75p"][1].startswith("missing: ")
    assert area["0701", 2040, "age75p"][1] == "exact"


def test_hamamatsu_new_wards_from_the_old_ones(warehouse: Warehouse) -> None:
    ward = figures(warehouse, "ward")
    # 天竜区 22140 = the old 天竜区 22137 (same area): 2030 total 20,828, 75+ 6,974
    assert ward["22140", 2030, "population"] == (20828, "exact")
    assert ward["22140", 2030, "age75p"] == (6974, "exact")
    # 中央区 22138 and 浜名区 22139 split the old 22131–22136. 2030 totals of the old wards:
    # 223,589 + 126,236 + 101,698 + 94,086 + 88,013 + 97,724 = 731,346; 住基 2025-01-01:
    # 中央区 604,410, 浜名区 154,669 → 731,346 × 604,410 / 759,079 = 582,328 (rounded)
    # and 731,346 × 154,669 / 759,079 = 149,018. 75+ apart: old wards 37,794 + 21,895 + 20,786
    # + 17,105 + 19,276 + 17,683 = 134,539; 住基 75+ 96,122 / 26,243 → 105,685 and 28,854.
    central, status = ward["22138", 2030, "population"]
    assert central == 582328
    assert status.startswith("estimated: the projection has 22131–22136 (2020 boundaries)")
    assert ward["22139", 2030, "population"][0] == 149018
    assert ward["22138", 2030, "age75p"][0] == 105685
    assert ward["22139", 2030, "age75p"][0] == 28854
    # the city as a whole is exact: 22130 2030 = 752,174 (its row in the projection)
    assert figures(warehouse, "municipality")["22130", 2030, "population"] == (752174, "exact")
    # 住基 knows the new wards themselves
    assert ward["22138", None, "population"] == (604410, "exact")


def test_seventh_plan_akita_areas_have_populations(warehouse: Warehouse) -> None:
    area = figures(warehouse, "secondary-area", plan="7th")
    akita = {k: v for k, v in area.items() if k[0].startswith("05-") and k[1] is None}
    assert len({k[0] for k in akita}) == 8
    assert all(status == "exact" and value for value, status in akita.values())


def test_a_newer_population_table_wins_per_prefecture(warehouse: Warehouse, tmp_path: Path) -> None:
    # 岩手 as of 2026-01-01 with 100 more boys aged 0–4 in 盛岡市: total 277,423 + 100, male
    # 131,015 + 100, a00_04 8,294 + 100, age0_14 30,931 + 100; the 岩手県 row likewise
    # (1,153,900, 557,528, 29,227 and 29,227 + 39,958 + 46,765 = 115,950, each + 100)
    newer = population_file(
        tmp_path / "iwate-2026.csv",
        edits={
            ("03201", "total"): "277523",
            ("03201", "male"): "131115",
            ("03201", "a00_04"): "8394",
            ("03201", "age0_14"): "31031",
            ("03000", "total"): "1154000",
            ("03000", "male"): "557628",
            ("03000", "a00_04"): "29327",
            ("03000", "age0_14"): "116050",
        },
    )
    ingest_population(warehouse, newer)
    mun = figures(warehouse, "municipality")
    assert mun["03201", None, "population"] == (277523, "exact")
    frame = pl.from_arrow(build_population_by_area(warehouse, level="prefecture").table)
    assert isinstance(frame, pl.DataFrame)
    dates = dict(
        frame.filter(pl.col("year").is_null() & (pl.col("kind") == "population"))
        .select("area_code", "as_of")
        .rows()
    )
    assert str(dates["03"]) == "2026-01-01"  # the newer table
    assert str(dates["04"]) == "2025-01-01"  # 宮城 keeps the packaged one


def test_metadata_names_the_snapshots_and_the_areas_not_projected_exactly(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    def metadata(level: str) -> dict[str, object]:
        return build_population_by_area(warehouse, level=level).metadata

    # base units of population.csv: 市 772 + 町 743 + 村 189 + 特別区 23 + 区 171 = 1,898
    juki = {"as_of": "2025-01-01", "source": "soumu_juki_r7"}
    assert metadata("municipality")["juki_snapshots"] == [{**juki, "units": 1898}]
    # not exact: the 13 municipalities of 浜通り (projected as one group 07999), at ward level
    # also 浜松 中央区 and 浜名区 (estimated), at secondary-area level 相双 and いわき
    assert metadata("municipality")["projection_areas_not_exact"] == 13
    assert metadata("ward")["projection_areas_not_exact"] == 15
    assert metadata("secondary-area")["projection_areas_not_exact"] == 2
    assert metadata("prefecture")["projection_areas_not_exact"] == 0
    # a newer 岩手 table: its 33 municipalities come from it, 1,898 − 33 = 1,865 from the packaged
    ingest_population(warehouse, population_file(tmp_path / "iwate.csv", as_of="2026-01-01"))
    assert metadata("prefecture")["juki_snapshots"] == [
        {**juki, "units": 1865},
        {"as_of": "2026-01-01", "source": "soumu_juki_r7", "units": 33},
    ]
