"""zaitaku candidates: who is listed and counted per 二次医療圏, the flags, the per-facility
activity and its suppression (by hand), the registered-but-inactive listing, the output set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from factories.supply import BASE, A, B, C, D, E, small_iwate, write_inputs
from zaitaku_cli.candidates import build_candidates, candidates
from zaitaku_cli.errors import ConfigError, SnapshotNotFound
from zaitaku_cli.facility_activity import suppress_listing
from zaitaku_cli.ingest_survey import ingest_survey
from zaitaku_cli.warehouse import Warehouse


def frame(table: Any) -> pl.DataFrame:
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


def by_code(table: Any) -> dict[str, dict[str, Any]]:
    return {r["facility_code10"]: r for r in frame(table).iter_rows(named=True)}


def test_candidates_and_area_flags(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    built = build_candidates(warehouse, pref="03", base=BASE)
    listed = by_code(built.facilities)
    # A 支援病1, B 支援診2イ, C 在後病 (盛岡); E 支援診1 (岩手中部). D 支援診3 is no candidate.
    assert sorted(listed) == [A, B, C, E]
    assert [listed[c]["counted"] for c in (A, B, C, E)] == [True, False, True, True]
    assert listed[B]["kyoka_rate"] is False and listed[B]["label"] == "支援診２イ"
    assert listed[A]["area_name"] == "盛岡" and listed[E]["area_name"] == "岩手中部"
    areas = {r["area_code"]: r for r in frame(built.areas).iter_rows(named=True)}
    assert len(areas) == 9  # every 二次医療圏 of 岩手県, none left out
    morioka = areas["0301"]
    assert (
        morioka["candidates"],
        morioka["kyoka_hospitals"],
        morioka["kyoka_clinics"],
        morioka["backup_hospitals"],
        morioka["not_counted"],
        morioka["candidates_billing_houmon_shinryo"],
    ) == (2, 1, 0, 1, 1, 2)
    # A and C: fewer than a main and two backups (B, 2イ, does not count)
    assert (morioka["status"], morioka["status_ja"]) == ("fewer_than_three", "主＋副2に満たない")
    # E registered but billed nothing: a candidate on paper, 0 billing
    chubu = areas["0302"]
    assert (chubu["candidates"], chubu["candidates_billing_houmon_shinryo"]) == (1, 0)
    assert (areas["0303"]["status"], areas["0303"]["status_ja"]) == ("none", "該当なし")
    assert any("7 areas have no candidate" in w for w in built.warnings)


def test_activity_suppressed_by_hand(warehouse: Warehouse) -> None:
    """盛岡, 訪問診療 patients: A 12, B 5, C 20, nothing else billed. B (1–9) is withheld; it
    would be the area's only hidden cell (the published area total − A − C gives it back), so
    the smallest value ≥ 10, A's 12, is withheld too. 往診 count: A 3, alone → withheld, and no
    other cell ≥ 10 to hide. 看取り: C 2 → withheld; A and B 0 stay 0."""
    small_iwate(warehouse)
    listed = by_code(build_candidates(warehouse, pref="03", base=BASE).facilities)
    assert [listed[c]["houmon_patients"] for c in (A, B, C)] == [None, None, 20]
    assert [listed[c]["houmon_patients_suppressed"] for c in (A, B, C)] == [True, True, False]
    assert [listed[c]["oushin_count"] for c in (A, B, C)] == [None, 0, 0]
    assert [listed[c]["mitori_patients"] for c in (A, B, C)] == [0, 0, None]
    assert listed[E]["houmon_patients"] == 0  # 0 stays 0


def test_rest_of_the_area_hides_the_one_small_cell(warehouse: Warehouse) -> None:
    """With F (not listed) billing 訪問診療 for 15 patients in 盛岡, B's 5 is one of two hidden
    cells: A's 12 can be shown."""
    small_iwate(warehouse, rest=15)
    listed = by_code(build_candidates(warehouse, pref="03", base=BASE).facilities)
    assert [listed[c]["houmon_patients"] for c in (A, B, C)] == [12, None, 20]


def test_suppress_listing_rules() -> None:
    """The rule on hand tables: area X1 has one small cell and a rest of 0 → the smallest ≥ 10
    (two cells equal to it) goes too; X2's rest of 3 is itself small and hidden → 11 goes."""
    listing = pl.DataFrame(
        {
            "area_code": ["X1", "X1", "X1", "X1", "X2", "X2"],
            "facility_code10": ["f1", "f2", "f3", "f4", "f5", "f6"],
            "houmon_patients": [4, 10, 10, 30, 11, 40],
            "oushin_patients": [0, 0, 0, 0, 0, 0],
            "oushin_count": [0, 0, 0, 0, 0, 0],
            "mitori_patients": [0, 0, 0, 0, 0, 0],
        }
    )
    places = pl.DataFrame(
        {
            "facility_code10": ["f5", "f6", "g1"],
            "area_code": ["X2", "X2", "X2"],
            "houmon_patients": [11, 40, 3],
            "oushin_patients": [0, 0, 0],
            "oushin_count": [0, 0, 0],
            "mitori_patients": [0, 0, 0],
        }
    )
    out = suppress_listing(listing, places)
    assert out["houmon_patients"].to_list() == [None, None, None, 30, None, 40]
    assert out["houmon_patients_suppressed"].to_list() == [True, True, True, False, True, False]
    assert out["oushin_count_suppressed"].to_list() == [False] * 6


def test_inactive_listing(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    built = build_candidates(warehouse, pref="03", base=BASE)
    inactive = by_code(built.inactive)
    # D (支援診3, 紫波町) billed neither 訪問診療 nor 往診; E did not either but started after
    assert list(inactive) == [D]
    row = inactive[D]
    assert (row["area_name"], row["municipality_name"], row["category_ja"], row["period"]) == (
        "盛岡",
        "紫波町",
        "支援診3",
        BASE,
    )
    assert "国保・後期高齢者のみ" in row["coverage"]
    assert any(
        "1 在支診/在支病 without 訪問診療 or 往診 in FY2024 started after" in w
        for w in built.warnings
    )
    assert any(
        "1 of 4 在支診/在支病 had no 訪問診療 or 往診 claim in FY2024" in w for w in built.warnings
    )


def test_survey_answers_beside_candidates(warehouse: Warehouse, tmp_path: Path) -> None:
    small_iwate(warehouse)
    survey, _hubs = write_inputs(tmp_path)
    ingest_survey(warehouse, survey)
    listed = by_code(build_candidates(warehouse, pref="03", base=BASE).facilities)
    assert (listed[A]["survey_capacity"], listed[A]["survey_intention"]) == (30, "拡大")
    assert (listed[C]["survey_capacity"], listed[C]["survey_intention"]) == (None, None)


def test_without_claims_nothing_is_said_about_activity(warehouse: Warehouse) -> None:
    small_iwate(warehouse)
    warehouse.con.execute("delete from claim_lines")
    built = build_candidates(warehouse, pref="03")
    assert built.base_period is None
    assert frame(built.facilities)["houmon_patients"].null_count() == 4
    assert built.inactive.num_rows == 0
    assert frame(built.areas)["candidates_billing_houmon_shinryo"].null_count() == 9
    assert any("no claim lines ingested" in w for w in built.warnings)


def test_errors(warehouse: Warehouse) -> None:
    with pytest.raises(ConfigError, match=r"--pref '99' is not a 都道府県コード"):
        build_candidates(warehouse, pref="99")
    small_iwate(warehouse)
    with pytest.raises(SnapshotNotFound) as info:
        build_candidates(warehouse, pref="13", base=BASE)
    assert str(info.value) == (
        "no bureau list of 東京都 (13) is ingested: candidates are named from the "
        "届出受理医療機関名簿 (`zaitaku ingest facilities`)"
    )


def test_output_set(warehouse: Warehouse, tmp_path: Path) -> None:
    small_iwate(warehouse)
    out = tmp_path / "out"
    result = candidates(warehouse, pref="03", out_dir=out)
    folder = out / "candidates_03"
    assert result.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "candidate_areas_by_secondary_area_03.csv",
        "candidate_areas_by_secondary_area_03.parquet",
        "candidates_by_facility_03.csv",
        "candidates_by_facility_03.parquet",
        "inactive_by_facility_03.csv",
        "inactive_by_facility_03.parquet",
        "manifest_candidates_03.json",
    ]
    text = (folder / "candidates_by_facility_03.csv").read_text(encoding="utf-8-sig")
    line_a = next(line for line in text.splitlines() if A in line)
    assert '"A病院"' in line_a and '"-"' in line_a  # the name is public, the 12 is not
    assert ",12," not in line_a
    manifest = json.loads((folder / "manifest_candidates_03.json").read_text())
    assert manifest["period"] == BASE  # the only fiscal year with claims, though incomplete
    assert "person" not in (folder / "inactive_by_facility_03.csv").read_text(encoding="utf-8-sig")
