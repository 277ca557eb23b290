"""Demand projection: the arithmetic by hand, suppression that cannot be undone, the areas that
cannot be projected, the scenario, and the demo data recomputed in plain Python."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from factories.claim_lines import Line, add_lines, repeat
from zaitaku_cli.cli import app
from zaitaku_cli.errors import ConfigError, InputError
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.population import prepare_population
from zaitaku_cli.projection import (
    ProjectionChoice,
    base_population_year,
    build_projection,
    project,
)
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
DEMO_CLAIMS = ROOT / "data" / "raw" / "kdb_claims_sample.csv"
F = "0310000001"


def rows_of(table: pa.Table) -> dict[tuple[str, int, str], dict[str, Any]]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return {(r["area_code"], r["year"], r["age_group"]): r for r in frame.iter_rows(named=True)}


# -- the arithmetic, on hand-made inputs of the SQL -------------------------------------------

GROUP_KIND = {"under65": "under65", "65to74": "age65to74", "75plus": "age75p"}


def run_sql(
    wh: Warehouse,
    patients: dict[str, int | None],
    populations: dict[int, dict[str, int]],
    *,
    years: tuple[int, ...] = (2030,),
    base_year: int = 2025,
    scenario: list[tuple[str, int, float]] | None = None,
) -> dict[tuple[str, int, str], dict[str, Any]]:
    """projection_by_area.sql for one area 'A1' with the given base patients (None =
    suppressed) and population per year and age group."""
    cells = [
        {
            "period": "FY2023",
            "area_code": "A1",
            "area_name": "area",
            "indicator": "houmon_shinryo",
            "basis": "residence",
            "age_group": age,
            "patients": n,
            "patients_suppressed": n is None,
            "coverage": "kdb",
        }
        for age, n in patients.items()
    ]
    pops = [
        {
            "area_code": "A1",
            "year": year,
            "kind": GROUP_KIND[age],
            "value": value,
            "status": "exact",
        }
        for year, groups in populations.items()
        for age, value in groups.items()
    ]
    wh.con.register("projection_claims_input", pa.Table.from_pylist(cells))
    wh.con.register("pops", pa.Table.from_pylist(pops))
    wh.con.execute("create or replace temp table stg_projection_by_area as select * from pops")
    wh.con.register("projection_years_input", pa.table({"year": pa.array(years, pa.int32())}))
    wh.con.register(
        "projection_scenario_input",
        pa.Table.from_pylist(
            [{"area_code": a, "year": y, "additional_patients": x} for a, y, x in (scenario or [])],
            schema=pa.schema(
                [
                    ("area_code", pa.string()),
                    ("year", pa.int32()),
                    ("additional_patients", pa.float64()),
                ]
            ),
        ),
    )
    table = wh.arrow(
        "marts/projection_by_area",
        {
            "level": "municipality",
            "indicator": "houmon_shinryo",
            "base_period": "FY2023",
            "base_year": base_year,
            "with_scenario": scenario is not None,
        },
    )
    return rows_of(table)


def test_100_patients_over_1000_aged_75_is_a_rate_of_0_1(warehouse: Warehouse) -> None:
    got = run_sql(
        warehouse,
        {"under65": 20, "65to74": 30, "75plus": 100, "total": 148},
        {
            2025: {"under65": 10_000, "65to74": 2_000, "75plus": 1_000},
            2030: {"under65": 10_000, "65to74": 2_000, "75plus": 1_000},
        },
    )
    old = got["A1", 2030, "75plus"]
    assert old["rate"] == pytest.approx(0.1)  # 100 / 1,000
    assert old["projected_patients"] == pytest.approx(100.0)  # 0.1 × 1,000
    assert (old["status"], old["reason"], old["understated"]) == ("ok", None, False)
    assert got["A1", 2030, "under65"]["rate"] == pytest.approx(0.002)  # 20 / 10,000
    assert got["A1", 2030, "65to74"]["rate"] == pytest.approx(0.015)  # 30 / 2,000
    # total = 20 + 30 + 100 = 150 (the claims total, 148, counts each person once)
    total = got["A1", 2030, "total"]
    assert total["projected_patients"] == pytest.approx(150.0)
    assert total["base_patients"] == 148
    assert total["population"] == 13_000
    assert total["rate"] == pytest.approx(150 / 13_000)
    assert total["projected_patients_with_scenario"] is None  # no scenario given


def test_a_population_that_doubles_doubles_the_projection(warehouse: Warehouse) -> None:
    base = {"under65": 5_000, "65to74": 1_500, "75plus": 1_000}
    got = run_sql(
        warehouse,
        {"under65": 11, "65to74": 12, "75plus": 40, "total": 60},
        {2025: base, 2030: base, 2040: {age: 2 * n for age, n in base.items()}},
        years=(2030, 2040),
    )
    for age in ("under65", "65to74", "75plus", "total"):
        assert got["A1", 2040, age]["projected_patients"] == pytest.approx(
            2 * got["A1", 2030, age]["projected_patients"]
        )
    # 75plus: 40 / 1,000 × 2,000 = 80
    assert got["A1", 2040, "75plus"]["projected_patients"] == pytest.approx(80.0)


def test_the_total_is_the_sum_of_its_groups(warehouse: Warehouse) -> None:
    got = run_sql(
        warehouse,
        {"under65": 13, "65to74": 27, "75plus": 211, "total": 240},
        {
            2025: {"under65": 73_000, "65to74": 11_500, "75plus": 9_800},
            2035: {"under65": 61_200, "65to74": 9_900, "75plus": 12_450},
        },
        years=(2035,),
    )
    groups = [got["A1", 2035, age]["projected_patients"] for age in ("under65", "65to74", "75plus")]
    # 13/73,000 × 61,200 + 27/11,500 × 9,900 + 211/9,800 × 12,450
    #   = 10.8986… + 23.2435… + 268.0561… = 302.1982…
    assert sum(groups) == pytest.approx(302.198, abs=1e-3)
    assert got["A1", 2035, "total"]["projected_patients"] == pytest.approx(sum(groups))
    assert got["A1", 2035, "total"]["population"] == 61_200 + 9_900 + 12_450


def test_a_suppressed_base_cell_is_not_recoverable(warehouse: Warehouse) -> None:
    got = run_sql(
        warehouse,
        {"under65": None, "65to74": None, "75plus": 120, "total": 140},
        {2025: {"under65": 8_000, "65to74": 1_600, "75plus": 900}},
        years=(2025,),
    )
    for age in ("under65", "65to74"):
        row = got["A1", 2025, age]
        # no rate, no projection: rate × population would give back the suppressed count
        assert (row["rate"], row["projected_patients"], row["status"]) == (None, None, "suppressed")
        assert row["reason"] == (
            f"suppressed: the base cell ({age}, FY2023) is suppressed in the claims output "
            "(NDB rule)"
        )
        assert row["population"] is not None  # the population itself is public
    # the total is withheld too: total − 75plus would give the two suppressed groups together
    total = got["A1", 2025, "total"]
    assert (total["projected_patients"], total["rate"], total["status"]) == (
        None,
        None,
        "suppressed",
    )
    assert total["reason"].startswith("total withheld: suppressed: the base cell (under65")
    assert got["A1", 2025, "75plus"]["projected_patients"] == pytest.approx(120.0)


def test_scenario_is_shown_beside_the_total(warehouse: Warehouse) -> None:
    got = run_sql(
        warehouse,
        {"under65": 10, "65to74": 10, "75plus": 100, "total": 118},
        {
            2025: {"under65": 1_000, "65to74": 1_000, "75plus": 1_000},
            2030: {"under65": 1_000, "65to74": 1_000, "75plus": 1_200},
        },
        years=(2030,),
        scenario=[("A1", 2030, 12.5)],
    )
    total = got["A1", 2030, "total"]
    # 10 + 10 + 100/1,000 × 1,200 = 140; with 12.5 additional: 152.5
    assert total["projected_patients"] == pytest.approx(140.0)
    assert total["additional_patients"] == 12.5
    assert total["projected_patients_with_scenario"] == pytest.approx(152.5)
    assert got["A1", 2030, "75plus"]["additional_patients"] is None


# -- base period and years ------------------------------------------------------------------


def test_base_population_year_is_the_nearest_projection_year() -> None:
    # FY2023 runs 2023-04 to 2024-03, its middle 2023-10-01; projections are as of 1 October:
    # 2025 is 2 years away, 2020 is 3.
    assert base_population_year("FY2023") == 2025
    assert base_population_year("FY2022") == 2020
    assert base_population_year("FY2024") == 2025
    with pytest.raises(ConfigError, match="choose a fiscal year from FY2018 to FY2052"):
        base_population_year("FY2015")
    with pytest.raises(ConfigError, match="like FY2023"):
        base_population_year("2023")


def test_projection_choice_names() -> None:
    assert ProjectionChoice(level="secondary-area").set_name == "projection_secondary_area"
    assert ProjectionChoice(level="municipality").stem == "projection_by_municipality"
    other = ProjectionChoice(
        level="ward", indicator="mitori", base="FY2023", scenario=True, suppress=False
    )
    assert other.set_name == "projection_ward_mitori_base2023_scenario_internal"


# -- statuses from real claims and the packaged projection ----------------------------------


def test_areas_that_cannot_be_projected_say_why(warehouse: Warehouse) -> None:
    # 12 patients aged 80 in いわき市 (浜通り) and in 浜松市中央区, FY2023
    lines = repeat(Line("p", "2023-06", F, "07204"), 12, "iwaki")
    lines += repeat(Line("p", "2023-06", F, "22138"), 12, "hama")
    add_lines(warehouse, lines)
    mun = rows_of(build_projection(warehouse, level="municipality", years=(2030,)).table)
    iwaki = mun["07204", 2030, "75plus"]
    assert (iwaki["status"], iwaki["projected_patients"], iwaki["base_patients"]) == (
        "missing",
        None,
        12,
    )
    assert "07999" in iwaki["reason"]
    assert mun["07204", 2030, "total"]["reason"].startswith("total withheld: missing:")
    # 浜松市 as a whole is exact at municipality level
    assert mun["22130", 2030, "75plus"]["status"] == "ok"
    ward = rows_of(build_projection(warehouse, level="ward", years=(2030,)).table)
    central = ward["22138", 2030, "75plus"]
    assert central["status"] == "estimated"
    assert central["reason"].startswith("estimated: the projection has 22131–22136")
    # 12 / (2025 estimate of 中央区 75+) × (2030 estimate 105,685)
    assert central["projected_patients"] == pytest.approx(12 / central["base_population"] * 105_685)


def test_default_base_is_the_latest_complete_fiscal_year(warehouse: Warehouse) -> None:
    months = [f"2023-{m:02d}" for m in range(4, 13)] + ["2024-01", "2024-02", "2024-03"]
    lines = [Line(f"p{i}", month, F, "03201") for i, month in enumerate(months)]
    lines += [Line("q", "2024-04", F, "03201")]  # FY2024 has one month only
    add_lines(warehouse, lines)
    projection = build_projection(warehouse, level="prefecture", years=(2030,))
    assert (projection.base_period, projection.base_year) == ("FY2023", 2025)
    partial = build_projection(warehouse, level="prefecture", years=(2030,), base="FY2024")
    assert partial.warnings[0].startswith("the base year FY2024 has claims for 1 of its 12")


def test_bad_years_indicator_and_scenario(warehouse: Warehouse, tmp_path: Path) -> None:
    add_lines(warehouse, repeat(Line("p", "2023-06", F, "03201"), 12, "x"))
    with pytest.raises(ConfigError, match="2031 not in the 社人研 2023 projection"):
        build_projection(warehouse, level="prefecture", years=(2030, 2031))
    with pytest.raises(ConfigError, match="--indicator 'houmon' is not a claims indicator"):
        build_projection(warehouse, level="prefecture", indicator="houmon")
    scenario = tmp_path / "s.csv"
    scenario.write_text(
        "area_code,year,additional_patients\n3,2030,5\n04,2030,1\n3,2035,-1\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        build_projection(warehouse, level="prefecture", years=(2030,), scenario=scenario)
    assert str(err.value) == (
        f"{scenario}, row 4, column additional_patients: 1 bad value(s): row 4, "
        "additional_patients: '-1' is not a number of 0 or more"
    )
    scenario.write_text("area_code,year,additional_patients\n3,2030,5\n04,2030,1\n")
    with pytest.raises(InputError) as err:
        build_projection(warehouse, level="prefecture", years=(2030,), scenario=scenario)
    # 3 lost its leading zero (Excel) and is 03; 04 (宮城) has no claims here
    assert "row 3, area_code: 04 is not an area of this prefecture" in str(err.value)
    scenario.write_text("area_code,year,additional_patients\n3,2030,5\n")
    done = build_projection(warehouse, level="prefecture", years=(2030,), scenario=scenario)
    assert rows_of(done.table)["03", 2030, "total"]["additional_patients"] == 5.0
    assert any("lost their leading zeros" in w for w in done.warnings)


# -- the demo data, recomputed in plain Python ----------------------------------------------


def _plain_python_projection(level: str) -> dict[tuple[str, int, str], float]:
    """Distinct 訪問診療 patients of FY2024 per area and age group ÷ 社人研 2025 × 2030/2040,
    from the CSV files alone (no zaitaku code): the claims sample, claim_codes.csv,
    secondary_areas.csv, municipalities.csv and population_projection.csv."""
    with (DATA_DIR / "claim_codes.csv").open(encoding="utf-8") as fh:
        codes = {r["code"] for r in csv.DictReader(fh) if r["indicator"] == "houmon_shinryo"}
    with (DATA_DIR / "secondary_areas.csv").open(encoding="utf-8") as fh:
        area_of = {r["code5"]: r["area_code"] for r in csv.DictReader(fh) if r["plan"] == "8th"}
    with (DATA_DIR / "municipalities.csv").open(encoding="utf-8") as fh:
        parents = {r["code5"]: r["parent_code5"] for r in csv.DictReader(fh) if r["parent_code5"]}
    for ward, city in parents.items():  # a 政令市 city code lies in its wards' area
        if ward in area_of:
            area_of.setdefault(city, area_of[ward])

    def area(code5: str) -> str:
        return code5[:2] if level == "prefecture" else area_of[code5]

    def group(age: int) -> str:
        return "under65" if age < 65 else "65to74" if age < 75 else "75plus"

    persons: dict[tuple[str, str], set[str]] = defaultdict(set)
    with DEMO_CLAIMS.open(encoding="cp932") as fh:
        for r in csv.DictReader(fh):
            month = r["診療年月"]
            fiscal = int(month[:4]) - (1 if int(month[4:]) < 4 else 0)
            if r["診療行為コード"] in codes and fiscal == 2024:
                key = (area(r["市町村コード"][:5]), group(int(r["年齢"])))
                persons[key].add(r["被保険者番号"])

    population: dict[tuple[str, int, str], int] = defaultdict(int)
    with (DATA_DIR / "population_projection.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["code5"][:2] not in {"03", "04"} or r["kind"] in {"都道府県", "政令市"}:
                continue
            total, p65, p75 = int(r["total"]), int(r["age65p"]), int(r["age75p"])
            for age, value in (("under65", total - p65), ("65to74", p65 - p75), ("75plus", p75)):
                population[area(r["code5"]), int(r["year"]), age] += value

    return {
        (a, year, age): len(persons.get((a, age), ())) / population[a, 2025, age] * value
        for (a, year, age), value in population.items()
        if year in (2030, 2040)
    }


@pytest.mark.parametrize("level", ["prefecture", "secondary-area"])
def test_demo_projection_recomputed_in_plain_python(warehouse: Warehouse, level: str) -> None:
    ingest_claim_extracts(warehouse, [DEMO_CLAIMS])
    projection = build_projection(warehouse, level=level, years=(2030, 2040))
    assert (projection.base_period, projection.base_year) == ("FY2024", 2025)
    got = rows_of(projection.table)
    expected = _plain_python_projection(level)
    published = [k for k, r in got.items() if r["status"] == "ok" and k[2] != "total"]
    assert published  # at least some cells are large enough to publish
    for key in published:
        assert got[key]["projected_patients"] == pytest.approx(expected[key], rel=1e-12)
    for (code, year, age), row in got.items():
        if age == "total" and row["status"] == "ok":
            assert row["projected_patients"] == pytest.approx(
                sum(expected[code, year, g] for g in ("under65", "65to74", "75plus")),
                rel=1e-12,
            )
    if level == "prefecture":  # every cell of the two prefectures is large enough
        assert len(published) == 2 * 2 * 3


def test_prepare_population_is_reusable(warehouse: Warehouse) -> None:
    prepare_population(warehouse, level="secondary-area")
    rows = warehouse.fetch_all(
        "select value from stg_projection_by_area "
        "where area_code = '0301' and year = 2050 and kind = 'age75p'"
    )
    assert len(rows) == 1 and rows[0][0] > 0


# -- CLI ------------------------------------------------------------------------------------


def test_project_cli_writes_the_set(
    runner: CliRunner, tmp_path: Path, warehouse: Warehouse
) -> None:
    # 15 patients aged 80 and 3 aged 70: 3 is suppressed, and 15 with it (the smallest ≥ 10)
    lines = repeat(Line("p", "2023-06", F, "03201"), 15, "x")
    add_lines(warehouse, lines + repeat(Line("p", "2023-06", F, "03201", age=70), 3, "y"))
    warehouse.close()
    out = tmp_path / "out"
    args = ["project", "--by", "prefecture", "-w", str(warehouse.path), "--out", str(out)]
    result = runner.invoke(app, [*args, "--years", "2030,2040", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["base_period"], summary["base_population_year"]) == ("FY2023", 2025)
    folder = out / "projection_prefecture_years2030-2040"
    assert summary["folder"] == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest_projection_prefecture_years2030-2040.json",
        "projection_by_prefecture_years2030-2040.csv",
        "projection_by_prefecture_years2030-2040.parquet",
    ]
    csv_text = (folder / "projection_by_prefecture_years2030-2040.csv").read_text("utf-8-sig")
    old = next(
        r
        for r in csv.DictReader(csv_text.splitlines())
        if (r["year"], r["age_group"]) == ("2030", "75plus")
    )
    # withheld figures are '-' in the CSV; the population stays (岩手 75+ 2025: 233,054)
    assert [old[c] for c in ("base_patients", "rate", "projected_patients", "status")] == [
        "-",
        "-",
        "-",
        "suppressed",
    ]
    assert old["base_population"] == "233054"
    bad = runner.invoke(app, [*args, "--years", "2030,soon"])
    assert bad.exit_code == 2
    wrong = runner.invoke(app, [*args, "--years", "2031"])
    assert wrong.exit_code == 1
    assert "Error: --years: 2031 not in the 社人研 2023 projection" in wrong.output


def test_project_function_publishes_one_set(warehouse: Warehouse, tmp_path: Path) -> None:
    add_lines(warehouse, repeat(Line("p", "2023-06", F, "03201"), 15, "x"))
    result = project(warehouse, level="municipality", out_dir=tmp_path)
    assert result.folder == tmp_path / "projection_municipality"
    manifest = json.loads((result.folder / "manifest_projection_municipality.json").read_text())
    assert manifest["base_population_year"] == 2025
    assert manifest["years"] == [2030, 2035, 2040, 2045, 2050]


def test_patients_without_an_age_are_left_out_and_said(warehouse: Warehouse) -> None:
    # FY2023 (one month): 12 patients aged 80 and 3 more without an age in 盛岡市; without
    # suppression the 3 are a cell of their own (age group 'unknown'), in no age group's rate
    add_lines(warehouse, repeat(Line("p", "2023-06", F, "03201"), 12, "x"))
    add_lines(warehouse, repeat(Line("u", "2023-06", F, "03201", age=None), 3, "y"))
    projection = build_projection(warehouse, level="prefecture", years=(2030,), suppress=False)
    assert (
        "3 patients of FY2023 have no age (age group 'unknown') and are in no group: the "
        "projection leaves them out"
    ) in projection.warnings
