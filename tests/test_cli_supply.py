"""The command line of supply, candidates, ingest survey and ingest hubs: exit codes, exact error
lines, --json, and taking the files back out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.supply import BASE, small_iwate, write_inputs
from zaitaku_cli.cli import app
from zaitaku_cli.warehouse import Warehouse


@pytest.fixture
def small(warehouse_path: Path) -> Path:
    with Warehouse(warehouse_path) as wh:
        small_iwate(wh)
    return warehouse_path


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_supply_table_and_files(small: Path, tmp_path: Path, runner: CliRunner) -> None:
    code, text = run(
        runner, "supply", "--by", "secondary-area", "--pref", "3", "--base", BASE,
        "-w", str(small), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, text
    assert "supply against demand by secondary-area: activity FY2024, projection 2050" in text
    # 盛岡: 在支診 B + D, 在支病 A, 3 billing facilities, 37 patients; no survey, no hub list
    assert "│ 0301 盛岡 │ 2 │ 1 │ 3 │ 37 │" in text
    assert "Warning: the base year FY2024 has claims for 1 of its 12 months" in text
    assert "Wrote " in text and "supply_by_secondary_area_03_base2024.csv" in text


def test_supply_json_and_xlsx(small: Path, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["supply", "--by", "municipality", "--base", BASE, "-w", str(small),
         "--out", str(tmp_path), "--json", "--xlsx"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["base_period"] == BASE and summary["pref_code"] is None
    names = sorted(Path(p).name for p in summary["outputs"])
    assert "supply_municipality_base2024.xlsx" in names
    assert not any(n.startswith("hub_coverage") for n in names)  # no hub list ingested


def test_usage_and_data_errors(small: Path, tmp_path: Path, runner: CliRunner) -> None:
    code, text = run(runner, "supply", "--by", "secondary-area", "--pref", "99", "-w", str(small))
    assert code == 2 and "'99' is not a 都道府県コード 01–47" in text
    code, text = run(runner, "supply", "--by", "town", "-w", str(small))
    assert code == 2
    missing = tmp_path / "none.duckdb"
    code, text = run(runner, "supply", "--by", "prefecture", "-w", str(missing))
    assert code == 1 and text.startswith(f"Error: no warehouse at {missing}")
    code, text = run(runner, "candidates", "--pref", "13", "--base", BASE, "-w", str(small))
    assert (code, text) == (
        1,
        "Error: no bureau list of 東京都 (13) is ingested: candidates are named from the "
        "届出受理医療機関名簿 (`zaitaku ingest facilities`)",
    )
    code, text = run(runner, "supply", "--by", "prefecture", "--base", "FY2019", "-w", str(small))
    assert (code, text) == (
        1,
        "Error: --base FY2019: no claim lines in FY2019 (available: FY2024 (1 months))",
    )


def test_candidates_json(small: Path, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["candidates", "--pref", "03", "--base", BASE, "-w", str(small), "--out",
              str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["candidates"], summary["inactive"]) == (4, 1)
    morioka = next(a for a in summary["areas"] if a["area_code"] == "0301")
    assert (morioka["candidates"], morioka["status"]) == (2, "fewer_than_three")


def test_ingest_survey_and_hubs_then_remove(small: Path, tmp_path: Path, runner: CliRunner) -> None:
    survey, hubs = write_inputs(tmp_path)
    code, text = run(runner, "ingest", "survey", str(survey), "-w", str(small))
    assert code == 0, text
    assert "survey.csv │ survey │ loaded │ 2025-09-01 │ 3 │ 3 │ 0" in text
    code, text = run(runner, "ingest", "survey", str(survey), "-w", str(small))
    assert "already ingested (same sha256), nothing changed" in text
    result = runner.invoke(app, ["ingest", "hubs", str(hubs), "-w", str(small), "--json"])
    document = json.loads(result.stdout)
    assert document["ingested"][0]["details"]["municipalities"] == 3
    code, text = run(runner, "status", "-w", str(small))
    assert "survey" in text and "hubs" in text
    code, text = run(runner, "remove", "survey.csv", "-w", str(small))
    assert code == 0, text
    with Warehouse(small) as wh:
        assert wh.fetch_all("select count(*) from survey_responses")[0][0] == 0
    # removed, it loads again
    code, text = run(runner, "ingest", "survey", str(survey), "-w", str(small))
    assert "loaded" in text


def test_ingest_errors_name_file_row_and_column(
    small: Path, tmp_path: Path, runner: CliRunner
) -> None:
    bad = tmp_path / "hubs.csv"
    bad.write_text("名称,事業区域\n拠点,盛岡市、存在しない町\n", encoding="utf-8")
    code, text = run(runner, "ingest", "hubs", str(bad), "--pref", "03", "-w", str(small))
    assert code == 1
    assert text.startswith(
        f"Error: {bad}, row 2, column 事業区域: 存在しない町: no municipality of 岩手県 (03) is "
        "named 存在しない町"
    )
    code, text = run(runner, "ingest", "hubs", str(bad), "--pref", "3x", "-w", str(small))
    assert code == 2
    survey = tmp_path / "survey.csv"
    survey.write_text("医療機関コード,実施可能件数\n0310000001,10\n", encoding="utf-8")
    code, text = run(runner, "ingest", "survey", str(survey), "-w", str(small))
    assert (code, text) == (
        1,
        f"Error: {survey}: no 調査時点 (date) column — add a 調査時点 column or pass --as-of "
        "YYYY-MM-DD",
    )
    code, text = run(
        runner, "ingest", "survey", str(survey), "--as-of", "2025-09-01", "-w", str(small)
    )
    assert code == 0, text


def test_the_bare_ingest_recognises_survey_and_hubs(tmp_path: Path, runner: CliRunner) -> None:
    root = Path(__file__).resolve().parents[1]
    warehouse = tmp_path / "w.duckdb"
    files = [
        root / "data" / "raw" / "bureau_tohoku_2025-10.xlsx",
        root / "examples" / "survey.example.csv",
        root / "examples" / "hubs.example.csv",
    ]
    result = runner.invoke(app, ["ingest", *map(str, files), "-w", str(warehouse), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(r["kind"], Path(r["file"]).name) for r in document["recognised"]] == [
        ("facilities", "bureau_tohoku_2025-10.xlsx"),
        ("survey", "survey.example.csv"),
        ("hubs", "hubs.example.csv"),
    ]
    assert [(s["kind"], s["rows_loaded"]) for s in document["ingested"]] == [
        ("facilities", 430),
        ("survey", 9),
        ("hubs", 3),
    ]
