"""`zaitaku remove FILE|ID`: an ingested file of any kind taken back out, in one transaction,
recorded in the log; the aggregates after it; a removed file ingested again loads again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from factories import bureau_list, count_table
from factories.claims import claim, write_extract
from zaitaku_cli.aggregate import build_facilities_by_area
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.cli import app
from zaitaku_cli.errors import AmbiguousIngest, IngestNotFound
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_counts import ingest_count_table
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.person_keys import person_key
from zaitaku_cli.remove import remove_ingest
from zaitaku_cli.warehouse import Warehouse


def claims_total(wh: Warehouse) -> tuple[int, int, int] | None:
    """FY2023 岩手県 訪問診療, residence basis, all ages: (patients, claims, count)."""
    if not wh.fetch_all("select count(*) from claim_lines")[0][0]:
        return None
    table = build_claims_by_area(wh, level="prefecture", suppress=False).table
    rows = [
        (r["patients"], r["claims"], r["count"])
        for r in table.to_pylist()
        if (r["period"], r["area_code"], r["indicator"], r["basis"], r["age_group"])
        == ("FY2023", "03", "houmon_shinryo", "residence", "total")
    ]
    [row] = rows
    return row


def facility_totals(wh: Warehouse) -> dict[tuple[str, str], int]:
    """岩手県 支援診１ and 支援診３ facilities per source, latest list of each."""
    table: pa.Table = build_facilities_by_area(wh, level="prefecture")
    return {
        (r["source"], r["category"]): r["facilities"]
        for r in table.to_pylist()
        if r["area_code"] == "03" and r["category"] in ("shienshin_tandoku", "shienshin_jurai")
    }


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """One file of each kind.

    bureau.xlsx (2025-10-01): two 盛岡市 clinics, one 支援診１ and one 支援診３.
    counts.csv: the 岩手 seed table (as of 2022-04-01): 支援診１ 1, 支援診３ 30 in total.
    a.csv: 後期 April 2023, P1 and P2 once each. b.csv: 後期 May 2023, P2 twice, P3 once.
    """
    folder = tmp_path / "in"
    folder.mkdir()
    return {
        "bureau": bureau_list.write_xlsx(
            folder / "bureau.xlsx",
            [
                bureau_list.bureau_row(facility_no="0110013", label="支援診３"),
                bureau_list.bureau_row(facility_no="0110021", label="支援診１"),
            ],
        ),
        "counts": count_table.write_csv(folder / "counts.csv", count_table.seed_rows()),
        "a": write_extract(
            folder / "a.csv",
            [
                claim(被保険者番号="P1"),
                claim(被保険者番号="P2"),
                claim(被保険者番号="P1", 性別="3"),
            ],
        ),
        "b": write_extract(
            folder / "b.csv",
            [
                claim(被保険者番号="P2", 診療年月="202305", 算定回数="2"),
                claim(被保険者番号="P3", 診療年月="202305"),
            ],
        ),
    }


@pytest.fixture
def loaded(warehouse: Warehouse, inputs: dict[str, Path]) -> Warehouse:
    """Ingests 1 bureau.xlsx, 2 counts.csv, 3 a.csv (one line rejected), 4 b.csv."""
    ingest_facility_lists(warehouse, [inputs["bureau"]])
    ingest_count_table(warehouse, inputs["counts"], pref_code="03", as_of=date(2022, 4, 1))
    ingest_claim_extracts(warehouse, [inputs["a"], inputs["b"]], max_reject_rate=1.0)
    assert [r["ingest_id"] for r in warehouse.ingests()] == [1, 2, 3, 4]
    return warehouse


def test_before_any_removal(loaded: Warehouse) -> None:
    # claims: P1, P2 in April, P2 and P3 in May: 3 patients; 4 person × facility × month
    # claims; count 1 + 1 + 2 + 1 = 5
    assert claims_total(loaded) == (3, 4, 5)
    assert facility_totals(loaded) == {
        ("bureau_list", "shienshin_tandoku"): 1,
        ("bureau_list", "shienshin_jurai"): 1,
        ("count_table", "shienshin_tandoku"): 1,
        ("count_table", "shienshin_jurai"): 30,
    }


def test_remove_claims_by_file(loaded: Warehouse, inputs: dict[str, Path]) -> None:
    removal = remove_ingest(loaded, str(inputs["a"]))
    assert (removal.ingest_id, removal.kind, removal.status) == (3, "claims", "removed")
    # a.csv: 2 lines loaded, 1 rejected, 1 pair; P1 was only in a.csv, P2 is in b.csv too
    assert (removal.rows, removal.rejects, removal.claim_pairs, removal.persons_pruned) == (
        2,
        1,
        1,
        1,
    )
    # b.csv alone: P2 (count 2) and P3 (count 1) in May: 2 patients, 2 claims, count 3
    assert claims_total(loaded) == (2, 2, 3)
    assert loaded.fetch_all("select distinct ingest_id from claim_lines") == [(4,)]
    assert loaded.fetch_all("select ingest_id from claim_pairs") == [(4,)]
    assert loaded.fetch_all("select count(*) from rejects where ingest_id = 3") == [(0,)]
    key = loaded.hmac_key()
    assert {k for (k,) in loaded.fetch_all("select person_key from persons")} == {
        person_key(key, "P2"),
        person_key(key, "P3"),
    }
    log = {r["ingest_id"]: r for r in loaded.ingests()}
    assert (log[3]["state"], log[4]["state"]) == ("removed", "loaded")
    assert log[3]["removed_at"] is not None
    assert loaded.fetch_all("select removed_rows from ingest_log where ingest_id = 3") == [(2,)]


def test_a_removed_file_loads_again(loaded: Warehouse, inputs: dict[str, Path]) -> None:
    remove_ingest(loaded, "3")
    [summary] = ingest_claim_extracts(loaded, [inputs["a"]], max_reject_rate=1.0)
    # not "unchanged": its lines were taken out, and its pairs are free again
    assert (summary.status, summary.rows_loaded) == ("loaded", 2)
    assert claims_total(loaded) == (3, 4, 5)
    assert [(r["file_name"], r["state"]) for r in loaded.ingests()][2:] == [
        ("a.csv", "removed"),
        ("b.csv", "loaded"),
        ("a.csv", "loaded"),
    ]


def test_remove_a_bureau_list_by_id(loaded: Warehouse, inputs: dict[str, Path]) -> None:
    removal = remove_ingest(loaded, "1")
    assert (removal.kind, removal.rows, removal.rejects) == ("facilities", 2, 0)
    assert loaded.fetch_all("select count(*) from facility_notifications") == [(0,)]
    # the count table's figures are all that is left
    assert facility_totals(loaded) == {
        ("count_table", "shienshin_tandoku"): 1,
        ("count_table", "shienshin_jurai"): 30,
    }
    assert claims_total(loaded) == (3, 4, 5)
    # the same workbook again loads again (a removed ingest is no "unchanged" match)
    [summary] = ingest_facility_lists(loaded, [inputs["bureau"]])
    assert (summary.status, summary.rows_loaded) == ("loaded", 2)
    assert facility_totals(loaded)[("bureau_list", "shienshin_jurai")] == 1


def test_remove_a_count_table_by_name_once_the_file_is_gone(
    loaded: Warehouse, inputs: dict[str, Path]
) -> None:
    inputs["counts"].unlink()
    removal = remove_ingest(loaded, "counts.csv")
    # the seed table: 8 municipalities × 8 受理記号 columns
    assert (removal.ingest_id, removal.kind, removal.rows) == (2, "facility_counts", 64)
    assert facility_totals(loaded) == {
        ("bureau_list", "shienshin_tandoku"): 1,
        ("bureau_list", "shienshin_jurai"): 1,
    }
    # the same table again loads again
    summary = ingest_count_table(
        loaded, count_table.write_csv(inputs["counts"], count_table.seed_rows()), pref_code="03"
    )
    assert summary.status == "loaded"


def test_a_file_already_removed_is_no_error(loaded: Warehouse) -> None:
    first = remove_ingest(loaded, "4")
    again = remove_ingest(loaded, "4")
    assert (again.status, again.ingest_id, again.removed_at) == (
        "already removed",
        4,
        first.removed_at,
    )


def test_dry_run_changes_nothing(loaded: Warehouse) -> None:
    removal = remove_ingest(loaded, "b.csv", dry_run=True)
    assert (removal.status, removal.rows, removal.rejects, removal.claim_pairs) == (
        "would remove",
        2,
        0,
        1,
    )
    assert claims_total(loaded) == (3, 4, 5)
    assert [r["state"] for r in loaded.ingests()] == ["loaded"] * 4


def test_unknown_and_ambiguous_targets(loaded: Warehouse, inputs: dict[str, Path]) -> None:
    with pytest.raises(IngestNotFound) as err:
        remove_ingest(loaded, "99")
    assert str(err.value) == (
        "no ingested file matches '99': give the file, its name or its ingest id as "
        "`zaitaku status` lists them"
    )
    with pytest.raises(IngestNotFound):
        remove_ingest(loaded, "nothing.csv")

    # another a.csv (other bytes, other months) in another folder: the name is ambiguous
    other = write_extract(inputs["a"].parent.parent / "a.csv", [claim(診療年月="202306")])
    ingest_claim_extracts(loaded, [other])
    inputs["a"].unlink()
    with pytest.raises(AmbiguousIngest) as ambiguous:
        remove_ingest(loaded, "a.csv")
    times = {r["ingest_id"]: f"{r['ingested_at']:%Y-%m-%d %H:%M}" for r in loaded.ingests()}
    assert str(ambiguous.value) == (
        f"'a.csv' matches 2 ingested files: ingest 3 (claims, a.csv, {times[3]}); "
        f"ingest 5 (claims, a.csv, {times[5]}) — name one by its id, e.g. `zaitaku remove 5`"
    )
    # the existing file is matched by its content: no ambiguity
    assert remove_ingest(loaded, str(other)).ingest_id == 5


def test_removing_a_replacing_file_says_what_is_not_restored(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    a = write_extract(tmp_path / "a.csv", [claim(), claim(被保険者番号="P2")])
    b = write_extract(tmp_path / "b.csv", [claim(被保険者番号="P3")])
    ingest_claim_extracts(warehouse, [a])
    ingest_claim_extracts(warehouse, [b], replace=True)
    removal = remove_ingest(warehouse, "b.csv")
    assert removal.warnings == [
        "b.csv had replaced 2 claim lines of 1 (保険者番号, 診療年月) pair(s) from a.csv "
        "(ingest 1): they are not restored; to bring them back, ingest a.csv again with --replace"
    ]
    assert warehouse.fetch_all("select count(*) from claim_lines") == [(0,)]
    # as it says: a.csv again, with --replace (what is left of ingest 1 holds no line of its
    # pair any more, but the file is no longer whole, so it is not "unchanged")
    [summary] = ingest_claim_extracts(warehouse, [a], replace=True)
    assert (summary.status, summary.rows_loaded) == ("loaded", 2)


# -- the command -------------------------------------------------------------------------------
def test_remove_command(runner: CliRunner, tmp_path: Path, inputs: dict[str, Path]) -> None:
    wh = str(tmp_path / "w.duckdb")
    ingest = ["ingest", "claims", str(inputs["a"]), "--max-reject-rate", "1", "-w", wh]
    assert runner.invoke(app, ingest).exit_code == 0

    preview = runner.invoke(app, ["remove", "a.csv", "--dry-run", "-w", wh])
    assert preview.exit_code == 0, preview.output
    assert preview.stdout == (
        "Would remove a.csv (ingest 1, claims): 2 claim lines, 1 rejects. Nothing was changed "
        "(--dry-run).\n"
    )
    done = runner.invoke(app, ["remove", str(inputs["a"]), "-w", wh])
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        "Removed a.csv (ingest 1, claims): 2 claim lines, 1 rejects; 2 persons no longer "
        "referenced.\n"
    )
    again = runner.invoke(app, ["remove", "1", "-w", wh, "--json"])
    assert again.exit_code == 0
    document = json.loads(again.stdout)["removal"]
    assert (document["status"], document["ingest_id"], document["file_name"]) == (
        "already removed",
        1,
        "a.csv",
    )
    status = json.loads(runner.invoke(app, ["status", "-w", wh, "--json"]).stdout)
    assert [(s["file_name"], s["state"]) for s in status] == [("a.csv", "removed")]
    table = runner.invoke(app, ["status", "-w", wh])
    assert "removed" in table.stdout

    quiet = runner.invoke(app, ["remove", "1", "-w", wh, "-q"])
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    missing = runner.invoke(app, ["remove", "7", "-w", wh])
    assert missing.exit_code == 1
    assert missing.stderr == (
        "Error: no ingested file matches '7': give the file, its name or its ingest id as "
        "`zaitaku status` lists them\n"
    )
    nowhere = runner.invoke(app, ["remove", "1", "-w", str(tmp_path / "typo.duckdb")])
    assert nowhere.exit_code == 1
    assert not (tmp_path / "typo.duckdb").exists()
