"""Rates per population: the seed's 盛岡 count table per 100,000, hand-made claims per 1,000 of
the same ages, the enrolment denominator, suppression and the 訪問看護 break.

Populations are the packaged 住基 2025-01-01 figures (population.csv); every expected rate is
worked out by hand in the comment above it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from factories.claim_lines import MITORI, Line, add_lines, repeat
from factories.population import enrolment_file
from zaitaku_cli.aggregate import build_facilities_by_area
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.ingest_counts import ingest_count_table
from zaitaku_cli.ingest_population import ingest_enrolment
from zaitaku_cli.rates import build_rates_by_area
from zaitaku_cli.warehouse import Warehouse

SEED_TABLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "iwate_morioka_counts.csv"
YAHABA = "03322"  # 矢巾町: 住基 total 26,160, 65+ 7,693, 75+ 3,968
F_YAHABA = "0310000002"
HOUMON_KANGO_SHIJI = "114008010"  # C007 訪問看護指示料 → houmon_kango_shiji

Key = tuple[Any, ...]


def rates_of(wh: Warehouse, level: str, *, facilities: bool = False, **claims: Any) -> dict:
    facility_table = build_facilities_by_area(wh, level=level) if facilities else None
    claims_table = build_claims_by_area(wh, level=level, **claims).table if claims else None
    result = build_rates_by_area(wh, level=level, facilities=facility_table, claims=claims_table)
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    keyed = {
        (
            r["period"],
            r["area_code"],
            r["measure"],
            r["unit"],
            r["age_group"],
            r["denominator_kind"],
        ): r
        for r in frame.iter_rows(named=True)
    }
    assert len(keyed) == frame.height  # one row per rate
    keyed["warnings"] = result.warnings
    return keyed


def test_morioka_count_table_per_100000(warehouse: Warehouse) -> None:
    ingest_count_table(warehouse, SEED_TABLE, pref_code="03")
    mun = rates_of(warehouse, "municipality", facilities=True)
    # seed 004, 盛岡市 row: 支援診３ 25, 在医総管 57; 盛岡市 住基 total 277,423, 75+ 44,917
    jurai = mun[None, "03201", "shienshin_jurai", "facilities", "total", "population"]
    # 25 / 277,423 × 100,000 = 9.01151
    assert jurai["rate"] == pytest.approx(9.011509, abs=1e-6)
    assert (jurai["numerator"], jurai["denominator"], jurai["per"]) == (25, 277423, 100000)
    assert str(jurai["denominator_as_of"]) == "2025-01-01"
    assert jurai["source"] == "count_table"
    # 25 / 44,917 × 10,000 = 5.56582
    per_75 = mun[None, "03201", "shienshin_jurai", "facilities", "total", "age75p"]
    assert per_75["rate"] == pytest.approx(5.565821, abs=1e-6)
    assert per_75["per"] == 10000
    # 57 / 277,423 × 100,000 = 20.54624
    assert mun[None, "03201", "zaiisoukan", "facilities", "total", "population"][
        "rate"
    ] == pytest.approx(20.546242, abs=1e-6)

    area = rates_of(warehouse, "secondary-area", facilities=True)
    # 計 row: 支援診３ 30 over the 盛岡 area's 445,689 → 30 / 445,689 × 100,000 = 6.73115
    morioka = area[None, "0301", "shienshin_jurai", "facilities", "total", "population"]
    assert morioka["rate"] == pytest.approx(6.731151, abs=1e-6)
    assert morioka["rate_status"] == "ok"

    # the table lists 8 of 岩手's 33 municipalities: no rate for the prefecture
    pref = rates_of(warehouse, "prefecture", facilities=True)
    iwate = pref[None, "03", "shienshin_jurai", "facilities", "total", "population"]
    assert iwate["rate"] is None
    assert iwate["numerator"] == 30
    assert iwate["rate_status"] == (
        "partial numerator: the count table lists 8 of the area's 33 municipalities"
    )


@pytest.fixture
def yahaba_claims(warehouse: Warehouse) -> Warehouse:
    """矢巾町 residents, FY2023: 訪問診療 for 30 people aged 80 and 12 aged 70; 看取り for 5."""
    lines = repeat(Line("p", "2023-10", F_YAHABA, YAHABA, age=80), 30, "old")
    lines += repeat(Line("p", "2023-10", F_YAHABA, YAHABA, age=70), 12, "young")
    lines += repeat(Line("p", "2023-11", F_YAHABA, YAHABA, act=MITORI, age=90), 5, "m")
    add_lines(warehouse, lines)
    return warehouse


def test_claims_rates_per_1000_of_the_same_ages(yahaba_claims: Warehouse) -> None:
    got = rates_of(yahaba_claims, "municipality", period="fiscal-year")

    def rate(age: str, kind: str, unit: str = "patients") -> Any:
        return got["FY2023", YAHABA, "houmon_shinryo", unit, age, kind]

    # 75plus: 30 / 3,968 × 1,000 = 7.56048
    assert rate("75plus", "age75p")["rate"] == pytest.approx(7.560484, abs=1e-6)
    assert rate("75plus", "age75p")["understated"] is False
    # 65to74: 12 / (7,693 − 3,968 = 3,725) × 1,000 = 3.22148
    assert rate("65to74", "age65to74")["denominator"] == 3725
    assert rate("65to74", "age65to74")["rate"] == pytest.approx(3.221477, abs=1e-6)
    assert rate("65to74", "age65to74")["understated"] is True  # 国保 members only under 75
    # under65: 0 / (26,160 − 7,693 = 18,467): a real zero, not suppressed
    assert (rate("under65", "under65")["denominator"], rate("under65", "under65")["rate"]) == (
        18467,
        0.0,
    )
    # total (42) over all ages, 65+ and 75+: 42/26,160, 42/7,693, 42/3,968 × 1,000
    assert rate("total", "population")["rate"] == pytest.approx(1.605505, abs=1e-6)
    assert rate("total", "age65p")["rate"] == pytest.approx(5.459509, abs=1e-6)
    assert rate("total", "age75p")["rate"] == pytest.approx(10.584677, abs=1e-6)
    assert rate("total", "age75p")["understated"] is True
    # the same denominators for claims (1 claim each) and count (1 each)
    assert rate("75plus", "age75p", "count")["rate"] == pytest.approx(7.560484, abs=1e-6)
    # no rate is made on the facility basis nor of unknown ages
    assert not any(k[4] == "unknown" for k in got if k != "warnings")
    assert got["warnings"][0].startswith("rates under 75 (under65, 65to74, total) are over")


def test_suppressed_numerator_gives_a_suppressed_rate(yahaba_claims: Warehouse) -> None:
    got = rates_of(yahaba_claims, "municipality", period="fiscal-year")
    # 看取り: 5 patients aged 90 (1–9: suppressed), so is the total of 5
    for age, kind in (("75plus", "age75p"), ("total", "population")):
        row = got["FY2023", YAHABA, "mitori", "patients", age, kind]
        assert (row["numerator"], row["rate"], row["suppressed"]) == (None, None, True)
        assert row["rate_status"] == "suppressed"
    # 0 stays 0 and is shown
    zero = got["FY2023", YAHABA, "mitori", "patients", "under65", "under65"]
    assert (zero["numerator"], zero["rate"], zero["suppressed"]) == (0, 0.0, False)


def test_enrolment_replaces_the_population_under_75(
    yahaba_claims: Warehouse, tmp_path: Path
) -> None:
    ingest_enrolment(
        yahaba_claims,
        enrolment_file(
            tmp_path / "yahaba.csv",
            [
                ["2024-03-31", "033227", "矢巾町", "国保", "under65", 2500],
                ["2024-03-31", "033227", "矢巾町", "国保", "65to74", 2900],
                ["2024-03-31", "033227", "矢巾町", "後期", "65to74", 40],
                ["2024-03-31", "033227", "矢巾町", "後期", "75plus", 3900],
            ],
        ),
    )
    got = rates_of(yahaba_claims, "municipality", period="fiscal-year")
    keys = {k[4:] for k in got if k != "warnings" and k[1] == YAHABA and k[2] == "houmon_shinryo"}
    # under65 and 65to74 use the enrolment instead of the population; 75plus and total keep
    # their population rows and gain an enrolment row
    assert keys == {
        ("under65", "enrolment"),
        ("65to74", "enrolment"),
        ("75plus", "age75p"),
        ("75plus", "enrolment"),
        ("total", "population"),
        ("total", "age65p"),
        ("total", "age75p"),
        ("total", "enrolment"),
    }
    young = got["FY2023", YAHABA, "houmon_shinryo", "patients", "65to74", "enrolment"]
    # 12 / (国保 2,900 + 後期 40) × 1,000 = 4.08163, not understated
    assert young["denominator"] == 2940
    assert young["rate"] == pytest.approx(4.081633, abs=1e-6)
    assert (young["understated"], young["denominator_source"]) == (False, "enrolment")
    assert young["denominator_as_of"] == date(2024, 3, 31)
    # total over all members: 42 / (2,500 + 2,940 + 3,900 = 9,340) × 1,000 = 4.49679
    total = got["FY2023", YAHABA, "houmon_shinryo", "patients", "total", "enrolment"]
    assert total["rate"] == pytest.approx(4.496788, abs=1e-6)

    # the 盛岡 area has 7 more municipalities the table does not cover: population, understated
    area = rates_of(yahaba_claims, "secondary-area", period="fiscal-year")
    row = area["FY2023", "0301", "houmon_shinryo", "patients", "65to74", "age65to74"]
    assert row["understated"] is True
    assert ("FY2023", "0301", "houmon_shinryo", "patients", "65to74", "enrolment") not in area
    assert area["warnings"] == [
        "the enrolment table covers 0 of 3 area × age-group cells it touches: the others use "
        "the population and stay flagged understated"
    ]


def test_houmon_kango_break_before_the_2024_06_service_month(warehouse: Warehouse) -> None:
    lines = repeat(Line("p", "2024-05", F_YAHABA, YAHABA, act=HOUMON_KANGO_SHIJI), 10, "may")
    lines += repeat(Line("p", "2024-06", F_YAHABA, YAHABA, act=HOUMON_KANGO_SHIJI), 10, "june")
    add_lines(warehouse, lines)
    monthly = rates_of(warehouse, "municipality", period="month")
    key = (YAHABA, "houmon_kango_shiji", "patients", "75plus", "age75p")
    assert monthly[("2024-05", *key)]["houmon_kango_break"] is True
    assert monthly[("2024-06", *key)]["houmon_kango_break"] is False
    assert (
        monthly[("2024-05", YAHABA, "houmon_shinryo", "patients", "75plus", "age75p")][
            "houmon_kango_break"
        ]
        is False
    )
    # FY2024 starts in 2024-04, before the break: the whole year is flagged
    yearly = rates_of(warehouse, "municipality", period="fiscal-year")
    assert yearly[("FY2024", *key)]["houmon_kango_break"] is True


def test_a_city_row_of_enrolment_covers_its_wards_but_not_a_ward_level(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # 12 仙台市 residents aged 70 whose claims name the city (国保 is run by the city): 04100
    add_lines(warehouse, repeat(Line("p", "2023-10", F_YAHABA, "04100", age=70), 12, "s"))
    ingest_enrolment(
        warehouse,
        enrolment_file(
            tmp_path / "sendai.csv",
            [
                ["2024-03-31", "04100", "仙台市", "国保", "under65", 150000],
                ["2024-03-31", "04100", "仙台市", "国保", "65to74", 100000],
                ["2024-03-31", "04100", "仙台市", "後期", "75plus", 140000],
            ],
        ),
    )
    mun = rates_of(warehouse, "municipality", period="fiscal-year")
    # 仙台市 = its five wards, all covered by the city row: 12 / 100,000 × 1,000 = 0.12
    city = mun["FY2023", "04100", "houmon_shinryo", "patients", "65to74", "enrolment"]
    assert city["rate"] == pytest.approx(0.12)
    assert city["understated"] is False
    # at ward level the city code is "ward unknown": no population, no enrolment, said so
    ward = rates_of(warehouse, "ward", period="fiscal-year")
    row = ward["FY2023", "04100", "houmon_shinryo", "patients", "65to74", "age65to74"]
    assert (row["numerator"], row["rate"]) == (12, None)
    assert row["rate_status"] == (
        "no denominator: missing: no population for this area (unknown residence, or a "
        "政令市 city code at ward level)"
    )
