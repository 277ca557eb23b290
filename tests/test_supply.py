"""zaitaku supply: every figure of supply_by_<level> traced by hand to the factory's rows (see
factories/supply.py), suppression kept, the survey's capacity and the municipalities no hub
serves, the output set, and the demo data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from factories.claim_lines import Line, add_lines, repeat
from factories.supply import BASE, MORIOKA, small_iwate, write_inputs
from zaitaku_cli.errors import ConfigError, SnapshotNotFound
from zaitaku_cli.ingest_hubs import ingest_hubs
from zaitaku_cli.ingest_survey import ingest_survey
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.supply import SupplyChoice, build_supply_by_area, supply
from zaitaku_cli.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]


def rows(table: Any, year: int | None = 2030) -> dict[str, dict[str, Any]]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if year is not None:
        frame = frame.filter(pl.col("year") == year)
    return {r["area_code"]: r for r in frame.iter_rows(named=True)}


def projected_75plus(codes: list[str], year: int) -> int:
    """Σ age75p of the 社人研 2023 projection over `codes` in `year`, read from the CSV."""
    with (DATA_DIR / "population_projection.csv").open(encoding="utf-8") as fh:
        return sum(
            int(r["age75p"])
            for r in csv.DictReader(fh)
            if r["code5"] in codes and r["year"] == str(year)
        )


MORIOKA_AREA = ["03201", "03214", "03216", "03301", "03302", "03303", "03321", "03322"]


def test_municipality_figures_by_hand(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    built = build_supply_by_area(warehouse, level="municipality", base=BASE, pref="03")
    morioka = rows(built.table)[MORIOKA]
    # registered in 盛岡市: A 支援病1, B 支援診2イ, F 在医総管 (C is in 滝沢市, D 紫波町, E 花巻市)
    assert (
        morioka["registered_shienshin"],
        morioka["registered_shienbyo"],
        morioka["registered_kyoka"],  # A and B: 2イ is still 機能強化型 by notification
        morioka["registered_zaigobyo"],
        morioka["registered_zaiisoukan"],
    ) == (1, 1, 2, 0, 1)
    assert (morioka["facilities_source"], str(morioka["facilities_as_of"])) == (
        "bureau_list",
        "2025-10-01",
    )
    # facility basis: A and B bill 訪問診療 in 盛岡市, A alone 往診, nobody 看取り there
    # (C, who does, is in 滝沢市)
    assert (
        morioka["billing_houmon_shinryo"],
        morioka["billing_oushin"],
        morioka["billing_mitori"],
    ) == (2, 1, 0)
    # residence basis: 12 + 5 + 20 distinct patients, all living in 盛岡市 and aged 80
    assert (morioka["patients"], morioka["patients_75plus"]) == (37, 37)
    assert morioka["base_period"] == BASE
    # projection: rate = 37 / 盛岡市 75+ of 2025 (FY2024 → 2025); × 75+ of 2030; no one under 75,
    # so the total is the 75+ projection
    expected = 37 * projected_75plus([MORIOKA], 2030) / projected_75plus([MORIOKA], 2025)
    assert expected == pytest.approx(37 * 52193 / 48004)
    assert morioka["projected_patients_75plus"] == pytest.approx(expected)
    assert morioka["projected_patients"] == pytest.approx(expected)
    assert morioka["projection_status"] == "ok"
    # per billing facility: ÷ 2 (A and B)
    assert morioka["projected_per_billing_facility"] == pytest.approx(expected / 2)
    takizawa = rows(built.table)["03216"]
    assert (takizawa["billing_houmon_shinryo"], takizawa["billing_mitori"]) == (1, 1)
    assert takizawa["patients"] == 0
    assert takizawa["projected_per_billing_facility"] == 0.0
    # no survey, no hubs yet: unknown, not 0
    assert morioka["stated_capacity"] is None
    assert morioka["municipalities_without_hub"] is None
    assert morioka["municipalities_without_hub_names"] is None
    assert any("no facility survey ingested for 03" in w for w in built.warnings)
    assert any("no hub list ingested for 03" in w for w in built.warnings)
    # one row per area and year: 33 Iwate municipalities × 5 years
    assert built.table.num_rows == 33 * 5


def test_survey_and_hubs_at_secondary_area(warehouse: Warehouse, tmp_path: Path) -> None:
    small_iwate(warehouse)
    survey, hubs = write_inputs(tmp_path)
    ingest_survey(warehouse, survey)
    ingest_hubs(warehouse, hubs)
    built = build_supply_by_area(warehouse, level="secondary-area", base=BASE, pref="03")
    morioka = rows(built.table)["0301"]
    # survey: A 30 + B 10; D answered 参入意向 only (not counted as 0); 拡大 (A) + 新規参入 (D)
    assert (
        morioka["survey_answers"],
        morioka["survey_facilities"],
        morioka["stated_capacity"],
        morioka["survey_willing"],
        str(morioka["survey_as_of"]),
    ) == (3, 2, 40, 2, "2025-09-01")
    # hubs serve 紫波町, 矢巾町 and 滝沢市: 5 of the 8 盛岡 municipalities are not served
    assert (morioka["hub_municipalities"], morioka["municipalities_without_hub"]) == (8, 5)
    assert morioka["municipalities_without_hub_names"] == "盛岡市、八幡平市、雫石町、葛巻町、岩手町"
    # the area's projection of 75+: 37 over the area's 75+ (8 municipalities), × 2030's
    expected = 37 * projected_75plus(MORIOKA_AREA, 2030) / projected_75plus(MORIOKA_AREA, 2025)
    assert morioka["projected_patients_75plus"] == pytest.approx(expected)
    # 盛岡 area bills with A, B (盛岡市) and C (滝沢市)
    assert morioka["billing_houmon_shinryo"] == 3
    assert morioka["projected_75plus_per_billing_facility"] == pytest.approx(expected / 3)
    # 岩手中部 (花巻市 …): the prefecture has a survey and a hub list, nobody there in either
    chubu = rows(built.table)["0302"]
    assert (chubu["stated_capacity"], chubu["survey_answers"]) == (0, 0)
    assert chubu["municipalities_without_hub"] == 4
    assert chubu["municipalities_without_hub_names"] == "花巻市、北上市、遠野市、西和賀町"
    hub_rows = pl.from_arrow(built.hubs)
    assert isinstance(hub_rows, pl.DataFrame)
    takizawa = hub_rows.filter(pl.col("code5") == "03216").row(0, named=True)
    assert (takizawa["served"], takizawa["hubs"]) == (True, "在宅ボックス滝沢")


def test_per_category_registered_billing_inactive(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    built = build_supply_by_area(warehouse, level="secondary-area", base=BASE, pref="03")
    frame = pl.from_arrow(built.facilities)
    assert isinstance(frame, pl.DataFrame)
    cells = {
        (r["area_code"], r["category"]): (
            r["registered"],
            r["billing_houmon_shinryo"],
            r["billing_mitori"],
            r["inactive"],
            r["registered_after_period"],
        )
        for r in frame.iter_rows(named=True)
    }
    # 盛岡 area: D (紫波町, 支援診3) registered with no claim; C bills 訪問診療 and 看取り
    assert cells["0301", "shienshin_jurai"] == (1, 0, 0, 1, 0)
    assert cells["0301", "zaigobyo"] == (1, 1, 1, 0, 0)
    assert cells["0301", "shienbyo_tandoku"] == (1, 1, 0, 0, 0)
    # 岩手中部: E started 2025-06-01, after FY2024: not inactive, counted apart
    assert cells["0302", "shienshin_tandoku"] == (1, 0, 0, 0, 1)
    # every area of the prefecture × every category, zeros included
    assert frame.height == 9 * 11
    assert set(frame["period"].to_list()) == {BASE}


def test_suppressed_patients_stay_suppressed(warehouse: Warehouse) -> None:
    """8 patients in 雫石町: the published cell is '-', and so is every figure made from it."""
    small_iwate(warehouse)
    add_lines(warehouse, repeat(Line("s", "2024-05", "0310000001", "03301"), 8, "s"))
    built = build_supply_by_area(warehouse, level="municipality", base=BASE, pref="03")
    shizukuishi = rows(built.table)["03301"]
    assert (shizukuishi["patients"], shizukuishi["patients_suppressed"]) == (None, True)
    assert (shizukuishi["patients_75plus"], shizukuishi["patients_75plus_suppressed"]) == (
        None,
        True,
    )
    assert shizukuishi["projected_patients_75plus"] is None
    assert shizukuishi["projected_patients_75plus_suppressed"] is True
    assert shizukuishi["projected_75plus_per_billing_facility"] is None
    assert shizukuishi["projection_status"] == "suppressed"


def test_without_claims(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    warehouse.con.execute("delete from claim_lines")
    built = build_supply_by_area(warehouse, level="secondary-area", pref="03")
    morioka = rows(built.table, year=None)["0301"]
    assert (morioka["registered_shienshin"], morioka["year"], morioka["patients"]) == (
        2,
        None,
        None,
    )
    assert built.base_period is None
    assert any("no claim lines ingested" in w for w in built.warnings)
    facilities = pl.from_arrow(built.facilities)
    assert isinstance(facilities, pl.DataFrame)
    # the claims cannot tell who billed: null, not 0
    assert facilities["inactive"].null_count() == facilities.height


def test_errors(warehouse: Warehouse) -> None:
    with pytest.raises(SnapshotNotFound, match="holds no facility list, count table or claims"):
        build_supply_by_area(warehouse, level="secondary-area")
    small_iwate(warehouse)
    with pytest.raises(ConfigError, match=r"--pref '48' is not a 都道府県コード"):
        build_supply_by_area(warehouse, level="secondary-area", pref="48")
    with pytest.raises(ConfigError, match="--by must be one of"):
        build_supply_by_area(warehouse, level="town")


def test_output_set(warehouse: Warehouse, tmp_path: Path) -> None:
    small_iwate(warehouse)
    survey, hubs = write_inputs(tmp_path)
    ingest_survey(warehouse, survey)
    ingest_hubs(warehouse, hubs)
    out = tmp_path / "out"
    result = supply(warehouse, level="secondary-area", out_dir=out, base=BASE, pref="03")
    folder = out / "supply_secondary_area_03_base2024"
    assert result.folder == folder and folder.is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == [
        "hub_coverage_by_secondary_area_03_base2024.csv",
        "hub_coverage_by_secondary_area_03_base2024.parquet",
        "manifest_supply_secondary_area_03_base2024.json",
        "supply_by_secondary_area_03_base2024.csv",
        "supply_by_secondary_area_03_base2024.parquet",
        "supply_facilities_by_secondary_area_03_base2024.csv",
        "supply_facilities_by_secondary_area_03_base2024.parquet",
    ]
    manifest = json.loads((folder / "manifest_supply_secondary_area_03_base2024.json").read_text())
    assert {i["kind"] for i in manifest["inputs"]} >= {"facilities", "survey", "hubs"}
    assert manifest["base_period"] == BASE
    for entry in manifest["outputs"]:
        assert Path(entry["path"]).is_file()
    metadata = pq.read_schema(folder / "supply_by_secondary_area_03_base2024.parquet").metadata
    assert "国保・後期高齢者のみ" in metadata[b"zaitaku.coverage"].decode()
    # the CSV marks a withheld cell '-' and leaves a missing one empty
    with (folder / "supply_by_secondary_area_03_base2024.csv").open(encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    morioka = next(r for r in table if r["area_code"] == "0301" and r["year"] == "2030")
    assert morioka["stated_capacity"] == "40"
    assert morioka["registered_shienbyo"] == "1"


def test_choice_names() -> None:
    assert SupplyChoice(level="secondary-area").set_name == "supply_secondary_area"
    choice = SupplyChoice(level="municipality", pref="03", base="FY2023", plan="7th")
    assert choice.set_name == "supply_municipality_03_base2023_7th"
    assert choice.stem("supply") == "supply_by_municipality_03_base2023_7th"
    years = SupplyChoice(level="prefecture", years=(2030, 2040))
    assert years.set_name == "supply_prefecture_years2030-2040"


def test_every_column_has_a_japanese_header(warehouse: Warehouse, tmp_path: Path) -> None:
    """The workbook and the report head columns in Japanese (reference/data/labels.csv)."""
    from zaitaku_cli.candidates import build_candidates
    from zaitaku_cli.labels import column_label, output_label, with_japanese_labels

    small_iwate(warehouse)
    _survey, hubs = write_inputs(tmp_path)
    ingest_hubs(warehouse, hubs)
    built = build_supply_by_area(warehouse, level="secondary-area", base=BASE)
    listing = build_candidates(warehouse, pref="03", base=BASE)
    assert built.hubs is not None
    for kind, table in (
        ("supply", built.table),
        ("supply_facilities", built.facilities),
        ("hub_coverage", built.hubs),
        ("candidates", listing.facilities),
        ("candidate_areas", listing.areas),
        ("inactive", listing.inactive),
    ):
        labelled = with_japanese_labels(table)
        missing = [c for c in labelled.column_names if column_label(c, kind) is None]
        assert missing == [], f"{kind}: add these columns to reference/data/labels.csv"
        assert output_label(kind)
    assert column_label("status", "candidate_areas") == "判定"
