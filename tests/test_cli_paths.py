"""Folders and files with Japanese names and spaces, as analysts name them, end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from zaitaku_cli.cli import app

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def test_ingest_and_aggregate_in_japanese_folders_with_spaces(
    tmp_path: Path, runner: CliRunner
) -> None:
    home = tmp_path / "在宅 医療"
    inputs = home / "入力 データ"
    inputs.mkdir(parents=True)
    bureau = inputs / "届出受理医療機関名簿 東北 2025年10月.xlsx"
    counts = inputs / "盛岡 集計表.csv"
    shutil.copyfile(RAW / "bureau_tohoku_2025-10.xlsx", bureau)
    shutil.copyfile(RAW / "iwate_morioka_counts.csv", counts)
    warehouse = home / "倉庫 A" / "在宅.duckdb"
    warehouse.parent.mkdir()
    out = home / "出力"
    wh = ["-w", str(warehouse)]

    result = runner.invoke(app, ["ingest", "facilities", str(bureau), *wh, "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["ingest", "facility-counts", str(counts), "--pref", "03", *wh, "--json"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["aggregate", "--by", "municipality", *wh, "--out", str(out), "--xlsx", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    folder = out / "municipality"
    assert document["folder"] == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "facilities_by_municipality.csv",
        "facilities_by_municipality.parquet",
        "manifest_municipality.json",
        "municipality.xlsx",
        "population_by_municipality.csv",
        "population_by_municipality.parquet",
        "rates_by_municipality.csv",
        "rates_by_municipality.parquet",
    ]
    # The manifest names the inputs by their Japanese paths, and the data is all there:
    # 盛岡市 03201 has 25 支援診３ in the 盛岡 count table (its row: 2 1 6 1 4 25 57 2).
    manifest = json.loads((folder / "manifest_municipality.json").read_text(encoding="utf-8"))
    assert {Path(i["file_name"]).name for i in manifest["inputs"]} == {bureau.name, counts.name}
    rows = pq.read_table(folder / "facilities_by_municipality.parquet").to_pylist()
    morioka = [
        r["facilities"]
        for r in rows
        if r["area_code"] == "03201"
        and r["category"] == "shienshin_jurai"
        and r["source"] == "count_table"
    ]
    assert morioka == [25]

    status = runner.invoke(app, ["status", *wh, "--json"])
    assert status.exit_code == 0, status.output
    assert len(json.loads(status.stdout)) == 2
