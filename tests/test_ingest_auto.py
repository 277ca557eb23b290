"""`zaitaku ingest PATH...`: each file recognised by its content and loaded by its kind's ingest;
a count table's prefecture told from its names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import count_table
from factories.claims import claim, write_extract
from factories.hostile import Hostile, corpus
from zaitaku_cli.cli import app
from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_auto import IngestOptions, count_table_prefecture, ingest_file, recognise
from zaitaku_cli.readers.detect import UnrecognisedInput
from zaitaku_cli.warehouse import Warehouse

RAW = Path(__file__).parents[1] / "data" / "raw"
BUREAU = RAW / "bureau_tohoku_2025-10.xlsx"
COUNTS = RAW / "iwate_morioka_counts.csv"
CLAIMS = RAW / "kdb_claims_sample.csv"


# -- the prefecture of a count table ------------------------------------------------------------
def test_seed_table_is_iwate() -> None:
    # 盛岡市 … 矢巾町 are all municipalities of 岩手県 and of no other prefecture together.
    assert count_table_prefecture(COUNTS) == "03"


def test_names_of_several_prefectures_ask_for_pref(tmp_path: Path) -> None:
    # 府中市 is a municipality of 東京都 (13) and of 広島県 (34): the name alone cannot tell.
    lines = count_table.seed_rows(title=None, rows=[("府中市", [0] * 8)], total=None)
    path = count_table.write_csv(tmp_path / "fuchu.csv", lines)
    with pytest.raises(InputError) as err:
        count_table_prefecture(path)
    assert str(err.value) == (
        f"{path}, column 市町名: its municipality names fit more than one prefecture "
        "(13 東京都, 34 広島県) — pass --pref with the 都道府県コード (e.g. --pref 03 for 岩手県)"
    )


def test_names_of_no_single_prefecture(tmp_path: Path) -> None:
    rows = [("盛岡市", [0] * 8), ("仙台市", [0] * 8)]
    lines = count_table.seed_rows(title=None, rows=rows, total=None)
    path = count_table.write_csv(tmp_path / "mixed.csv", lines)
    with pytest.raises(InputError) as err:
        count_table_prefecture(path)
    # 盛岡市 is in 03 only, 仙台市 in 04 only: one of the two names at most (ties name the
    # higher code).
    expected = "its municipality names are not those of one prefecture (at most 1 of 2 are in 04"
    assert expected in str(err.value)


# -- recognise, then ingest -----------------------------------------------------------------------
def test_each_sample_file_goes_to_its_kind(warehouse: Warehouse) -> None:
    found = recognise([CLAIMS, COUNTS, BUREAU])
    assert [f.kind for f in found] == ["claims", "facility-counts", "facilities"]
    summaries = [ingest_file(warehouse, f.path, f.kind) for f in found]
    assert [(s.kind, s.status) for s in summaries] == [
        ("claims", "loaded"),
        ("facility_counts", "loaded"),
        ("facilities", "loaded"),
    ]
    assert summaries[1].pref_codes == ["03"]
    assert summaries[1].details["pref_from"] == "names"
    # the seed table: 8 municipalities × 8 受理記号 columns
    assert warehouse.fetch_all("select count(*) from facility_counts") == [(64,)]


def test_pref_option_wins_over_the_names(warehouse: Warehouse) -> None:
    summary = ingest_file(warehouse, COUNTS, "facility-counts", IngestOptions(pref="03"))
    assert summary.details["pref_from"] == "option"


def test_an_unrecognised_file_stops_before_anything_is_loaded(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    stray = tmp_path / "memo.txt"
    stray.write_text("memo\n", encoding="utf-8")
    with pytest.raises(UnrecognisedInput):
        recognise([COUNTS, stray])


# -- the CLI -----------------------------------------------------------------------------------
def test_help_teaches_both_forms(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "zaitaku ingest [OPTIONS] PATH... | KIND PATH..." in result.output
    for text in ("recognises each file by its content", "names the kind", "--pref", "--mapping"):
        assert text in result.output
    for kind in ("facilities", "facility-counts", "claims"):
        assert kind in result.output
    # the kinds keep their own help
    claims_help = runner.invoke(app, ["ingest", "claims", "--help"])
    assert "--max-reject-rate" in claims_help.output


def test_bare_ingest_says_what_it_took_each_file_for(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["ingest", "-w", str(wh), str(COUNTS), str(CLAIMS)])
    assert result.exit_code == 0, result.output
    assert (
        f"{COUNTS}: count table 市町名 × 受理記号 (header row 3: a name column and 8 受理記号)"
        in (result.output)
    )
    assert f"{CLAIMS}: KDB claims extract (header with 11 claims columns (cp932))" in result.output
    assert f"{COUNTS}: prefecture 03, told from its names" in result.output
    # the kinds' own forms still work, and see the same files as already ingested
    again = runner.invoke(app, ["ingest", "claims", str(CLAIMS), "-w", str(wh), "--json"])
    assert json.loads(again.output)["ingested"][0]["status"] == "unchanged"


def test_bare_ingest_json(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["ingest", str(COUNTS), "--json", "-w", str(wh)])
    doc = json.loads(result.output)
    assert doc["recognised"] == [
        {
            "file": str(COUNTS),
            "kind": "facility-counts",
            "reason": "header row 3: a name column and 8 受理記号",
        }
    ]
    assert doc["ingested"][0]["rows_loaded"] == 64


def test_bare_ingest_refuses_an_unrecognised_file(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    claims = write_extract(tmp_path / "ok.csv", [claim()])
    stray = tmp_path / "memo.txt"
    stray.write_text("memo\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(claims), str(stray), "-w", str(wh)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {stray}: not a kind of input zaitaku recognises")
    assert "as claims (KDB claims extract): the first line names no claims column" in result.output
    # nothing was loaded, not even the good file before it: no warehouse was even created
    assert not wh.exists()


def test_options_may_come_before_the_paths(runner: CliRunner, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["ingest", "--pref", "03", "-w", str(wh), str(COUNTS)])
    assert result.exit_code == 0, result.output
    assert "told from its names" not in result.output


def test_a_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# -- hostile files through the bare form ----------------------------------------------------
# Each file of the hostile corpus (tests/factories/hostile.py), given without its kind, is either
# not recognised or recognised and then refused by its kind's ingest: one message, exit 1,
# nothing loaded. Detection reads only the start of a file, and a zip member with the caps of
# the bureau reader (the zip bomb is named as one).
@pytest.mark.parametrize("hostile", corpus(), ids=lambda h: h.name)
def test_hostile_file_without_its_kind(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    wh = tmp_path / "wh.duckdb"
    path = hostile.build(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(path), "-w", str(wh)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    error = result.output[result.output.index("Error: ") :]
    assert error.count("Error: ") == 1
    assert path.name in error
    if hostile.name == "zip bomb":
        assert "zip bomb" in error
    if wh.exists():
        with Warehouse(wh) as warehouse:
            assert warehouse.fetch_all("select count(*) from ingest_log") == [(0,)]
