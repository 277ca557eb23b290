"""The CLI as an analyst meets it: help, exit codes, error messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zaitaku_cli.cli import app
from zaitaku_cli.warehouse import Warehouse


def test_help_teaches_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes" in result.output
    assert "国保" in result.output


def test_reference_areas_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reference", "areas", "--pref", "03", "--json"])
    assert result.exit_code == 0
    areas = json.loads(result.output)
    assert areas[0]["area_name"] == "盛岡"
    assert len(areas[0]["members"]) == 8


def test_data_error_is_one_line_and_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reference", "areas", "--pref", "99"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no 二次医療圏 for 都道府県コード '99' in the 8th plan: use 01–47"
    )


def test_usage_error_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["aggregate", "--by", "city", "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 2


def test_bad_as_of_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["aggregate", "--by", "municipality", "--as-of", "R7.10", "-w", str(tmp_path / "w.duckdb")],
    )
    assert result.exit_code == 2
    assert "is not a date like 2025-10-01" in result.output


def test_aggregate_on_empty_warehouse_says_what_to_do(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    Warehouse(wh).close()
    result = runner.invoke(app, ["aggregate", "--by", "municipality", "-w", str(wh)])
    assert result.exit_code == 1
    assert "run `zaitaku ingest" in result.output


def test_a_mistyped_warehouse_is_not_created(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "typo.duckdb"
    result = runner.invoke(app, ["aggregate", "--by", "municipality", "-w", str(wh)])
    assert result.exit_code == 1
    assert f"no warehouse at {wh}" in result.output
    assert not wh.exists()


def test_output_folder_that_is_a_file_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    ingest = ["ingest", "facility-counts", str(SEED_TABLE), "--pref", "03", "-w", str(wh)]
    assert runner.invoke(app, ingest).exit_code == 0
    blocker = tmp_path / "afile"
    blocker.write_text("")
    result = runner.invoke(
        app, ["aggregate", "--by", "prefecture", "-w", str(wh), "--out", str(blocker)]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot write into {blocker}: Not a directory — choose another --out folder\n"
    )


def test_warehouse_from_environment(runner: CliRunner, tmp_path: Path, monkeypatch: object) -> None:
    wh = tmp_path / "env.duckdb"
    Warehouse(wh).close()
    result = runner.invoke(app, ["status", "--json"], env={"ZAITAKU_WAREHOUSE": str(wh)})
    assert result.exit_code == 0
    assert json.loads(result.output) == []


SEED_TABLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "iwate_morioka_counts.csv"
CATEGORY_ORDER = [
    "shienbyo_tandoku",
    "shienbyo_renkei",
    "shienbyo_jurai",
    "shienshin_tandoku",
    "shienshin_renkei",
    "shienshin_jurai",
    "zaiisoukan",
    "zaigobyo",
]  # the seed's columns: 支援病１ 支援病２ 支援病３ 支援診１ 支援診２ 支援診３ 在医総管 在後病


def seed_figures(out: Path, level: str, area_code: str) -> list[int]:
    import polars as pl

    frame = pl.read_parquet(out / level / f"facilities_by_{level}.parquet")
    got = dict(
        frame.filter(pl.col("area_code") == area_code).select("category", "facilities").rows()
    )
    return [got[c] for c in CATEGORY_ORDER]


def coverage(out: Path, level: str, area_code: str) -> tuple[str, int, int]:
    import polars as pl

    frame = pl.read_parquet(out / level / f"facilities_by_{level}.parquet")
    rows = (
        frame.filter(pl.col("area_code") == area_code)
        .select("area_coverage", "members_covered", "members_total")
        .unique()
        .rows()
    )
    assert len(rows) == 1
    return rows[0]


def test_seed_count_table_end_to_end(runner: CliRunner, tmp_path: Path) -> None:
    """seed 004: 盛岡 area equals the 計 row; 盛岡市 equals its own row (the published table)."""
    wh, out = str(tmp_path / "w.duckdb"), tmp_path / "out"
    ingest = ["ingest", "facility-counts", str(SEED_TABLE), "--pref", "03", "-w", wh]
    assert runner.invoke(app, ingest).exit_code == 0
    for level in ("secondary-area", "municipality", "prefecture"):
        result = runner.invoke(app, ["aggregate", "--by", level, "-w", wh, "--out", str(out)])
        assert result.exit_code == 0, result.output
    # 計 row of the seed: 2 1 9 1 4 30 69 2
    assert seed_figures(out, "secondary_area", "0301") == [2, 1, 9, 1, 4, 30, 69, 2]
    assert seed_figures(out, "prefecture", "03") == [2, 1, 9, 1, 4, 30, 69, 2]
    # 盛岡市 row of the seed: 2 1 6 1 4 25 57 2
    assert seed_figures(out, "municipality", "03201") == [2, 1, 6, 1, 4, 25, 57, 2]
    # Issue 7 §1.5: the table lists the 8 municipalities of the 盛岡 area only, so its 岩手県 row
    # is not the prefecture's total: it says so (8 of 岩手's 33 municipalities).
    assert coverage(out, "prefecture", "03") == ("partial", 8, 33)
    assert coverage(out, "secondary_area", "0301") == ("complete", 8, 8)
    assert coverage(out, "municipality", "03201") == ("complete", 1, 1)
    again = runner.invoke(app, [*ingest, "--json"])
    assert json.loads(again.stdout)["ingested"][0]["status"] == "unchanged"


def test_claims_ingest_reports_home_care_codes_missing_from_the_table(
    runner: CliRunner, tmp_path: Path
) -> None:
    # 114999999 is a 114… (在宅医療) code that claim_codes.csv does not hold.
    header = (
        "保険者番号,被保険者番号,性別,年齢,市町村コード,診療年月,入外区分,"
        "医療機関コード,診療行為コード,算定回数"
    )
    lines = [header] + [
        f"39030000,P{i:05d},2,80,032018,202310,2,0310110013,{code},1"
        for i, code in enumerate(["114999999"] + ["114001110"] * 199)
    ]
    extract = tmp_path / "kdb.csv"
    extract.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    result = runner.invoke(
        app, ["ingest", "claims", str(extract), "-w", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert "1 在宅医療 codes are not in the code table" in " ".join(result.output.split())
    assert "114999999 (1 lines)" in result.output


def test_json_names_the_files_loaded_before_a_failure(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0")
    wh = str(tmp_path / "w.duckdb")
    workbook = Path(__file__).resolve().parents[1] / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"
    result = runner.invoke(
        app, ["ingest", "facilities", str(workbook), str(bad), "-w", wh, "--json"]
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [s["status"] for s in document["ingested"]] == ["loaded"]
    assert "bad.xls" in document["error"]
