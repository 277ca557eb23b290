"""The grain of claim lines, (保険者番号, 診療年月): a file bringing pairs that another file holds
is refused, or supersedes exactly those pairs with --replace; insurer-split files both load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.claims import claim, write_extract
from zaitaku_cli.errors import ClaimsOverlap
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.warehouse import Warehouse

IWATE_KOKI = "39030000"  # 岩手県後期高齢者医療広域連合
MORIOKA_KOKUHO = "032011"  # a 国保 insurer number (6 digits)


def pairs(wh: Warehouse) -> list[tuple]:
    """(ingest, insurer, month, lines) as claim_pairs holds them."""
    return wh.fetch_all(
        "select ingest_id, insurer_no, strftime(service_month, '%Y-%m'), lines from claim_pairs "
        "order by ingest_id, service_month, insurer_no nulls first"
    )


def line_pairs(wh: Warehouse) -> list[tuple]:
    """The same figures counted from claim_lines: claim_pairs must never drift from them."""
    return wh.fetch_all(
        "select ingest_id, insurer_no, strftime(service_month, '%Y-%m'), count(*) "
        "from claim_lines group by all order by 1, 3, 2 nulls first"
    )


def when(wh: Warehouse, ingest_id: int) -> str:
    moment = wh.fetch_all(
        "select ingested_at from ingest_log where ingest_id = $id", {"id": ingest_id}
    )[0][0]
    return f"{moment:%Y-%m-%d %H:%M}"


def states(wh: Warehouse) -> list[tuple[int, str]]:
    return [(r["ingest_id"], r["state"]) for r in wh.ingests()]


@pytest.fixture
def april_may(warehouse: Warehouse, tmp_path: Path) -> Path:
    """a.csv: 後期 April (2 lines) and May (2 lines), 国保 April (1 line); loaded as ingest 1."""
    path = write_extract(
        tmp_path / "a.csv",
        [
            claim(被保険者番号="P1", 診療年月="202304"),
            claim(被保険者番号="P2", 診療年月="202304"),
            claim(被保険者番号="P1", 診療年月="202305"),
            claim(被保険者番号="P2", 診療年月="202305", 算定回数="2"),
            claim(被保険者番号="P3", 診療年月="202304", 保険者番号=MORIOKA_KOKUHO, 年齢="70"),
        ],
    )
    ingest_claim_extracts(warehouse, [path])
    return path


def test_pairs_are_recorded_per_insurer_and_month(warehouse: Warehouse, april_may: Path) -> None:
    # a file that holds several lines of one pair overlaps only itself: that is no conflict
    assert pairs(warehouse) == [
        (1, MORIOKA_KOKUHO, "2023-04", 1),
        (1, IWATE_KOKI, "2023-04", 2),
        (1, IWATE_KOKI, "2023-05", 2),
    ]
    assert line_pairs(warehouse) == pairs(warehouse)


def test_a_file_sharing_a_pair_is_refused_whole(
    warehouse: Warehouse, tmp_path: Path, april_may: Path
) -> None:
    # b.csv brings 後期 May again (shared) and 後期 June (new): refused, June included
    b = write_extract(
        tmp_path / "b.csv",
        [
            claim(被保険者番号="P1", 診療年月="202305"),
            claim(被保険者番号="P4", 診療年月="202306"),
        ],
    )
    with pytest.raises(ClaimsOverlap) as err:
        ingest_claim_extracts(warehouse, [b])
    assert str(err.value) == (
        f"{b}: 1 (保険者番号, 診療年月) pair already loaded from another file: 39030000 2023-05; "
        f"loaded from a.csv (ingest 1, {when(warehouse, 1)}) — nothing of this file was kept. "
        "If this file supersedes those claims, ingest it again with --replace; to take the "
        "earlier file out instead, run `zaitaku remove 1`"
    )
    assert err.value.pairs == [{"insurer_no": IWATE_KOKI, "service_month": "2023-05", "lines": 1}]
    assert [(e["ingest_id"], e["pairs"], e["lines"]) for e in err.value.earlier] == [(1, 1, 2)]
    assert warehouse.fetch_all("select count(*) from claim_lines") == [(5,)]
    assert [r["ingest_id"] for r in warehouse.ingests()] == [1]
    assert len(pairs(warehouse)) == 3


def test_replace_supersedes_exactly_the_shared_pairs(
    warehouse: Warehouse, tmp_path: Path, april_may: Path
) -> None:
    b = write_extract(
        tmp_path / "b.csv",
        [
            claim(被保険者番号="P1", 診療年月="202305", 算定回数="5"),
            claim(被保険者番号="P4", 診療年月="202306"),
        ],
    )
    [summary] = ingest_claim_extracts(warehouse, [b], replace=True)
    assert summary.status == "loaded"
    # a.csv's two 後期 May lines went; its April lines (後期 and 国保) stayed
    assert pairs(warehouse) == [
        (1, MORIOKA_KOKUHO, "2023-04", 1),
        (1, IWATE_KOKI, "2023-04", 2),
        (2, IWATE_KOKI, "2023-05", 1),
        (2, IWATE_KOKI, "2023-06", 1),
    ]
    assert line_pairs(warehouse) == pairs(warehouse)
    # May's 算定回数 is now b.csv's 5 alone, not a.csv's 1 + 2 nor 1 + 2 + 5
    assert warehouse.fetch_all(
        "select sum(times) from claim_lines where service_month = date '2023-05-01'"
    ) == [(5,)]
    assert summary.details["replaced"] == [
        {"ingest_id": 1, "file_name": "a.csv", "pairs": 1, "lines": 2}
    ]
    assert summary.warnings == [
        "replaced 2 claim lines of 1 (保険者番号, 診療年月) pair(s) loaded from a.csv (ingest 1)"
    ]
    assert warehouse.fetch_all(
        "select ingest_id, replaced_ingest_id, insurer_no, service_month, lines "
        "from claim_replacements"
    ) == [(2, 1, IWATE_KOKI, date(2023, 5, 1), 2)]
    assert states(warehouse) == [(1, "partly replaced"), (2, "loaded")]


def test_a_replaced_file_loads_again_to_revert(
    warehouse: Warehouse, tmp_path: Path, april_may: Path
) -> None:
    b = write_extract(tmp_path / "b.csv", [claim(被保険者番号="P9", 診療年月="202305")])
    ingest_claim_extracts(warehouse, [b], replace=True)
    # a.csv is no longer whole in the warehouse: the same bytes are not "unchanged" but a file
    # that shares May with b.csv and April with what is left of itself
    with pytest.raises(ClaimsOverlap) as err:
        ingest_claim_extracts(warehouse, [april_may])
    assert "3 (保険者番号, 診療年月) pairs already loaded from another file" in str(err.value)
    assert [e["ingest_id"] for e in err.value.earlier] == [1, 2]
    [summary] = ingest_claim_extracts(warehouse, [april_may], replace=True)
    assert summary.status == "loaded"
    # back to a.csv's five lines alone, under a new ingest id (a refused ingest used one too:
    # ids are unique, not consecutive)
    new = summary.details["ingest_id"]
    assert pairs(warehouse) == [
        (new, MORIOKA_KOKUHO, "2023-04", 1),
        (new, IWATE_KOKI, "2023-04", 2),
        (new, IWATE_KOKI, "2023-05", 2),
    ]
    assert line_pairs(warehouse) == pairs(warehouse)
    assert states(warehouse) == [(1, "replaced"), (2, "replaced"), (new, "loaded")]
    # and now a.csv is whole again: the same bytes once more are "unchanged"
    [again] = ingest_claim_extracts(warehouse, [april_may])
    assert (again.status, again.details["ingest_id"]) == ("unchanged", new)


def test_insurer_split_files_for_the_same_month_both_load(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    koki = write_extract(tmp_path / "koki.csv", [claim(), claim(被保険者番号="P2")])
    kokuho = write_extract(
        tmp_path / "kokuho.csv",
        [claim(保険者番号=MORIOKA_KOKUHO, 年齢="70"), claim(保険者番号="032029", 年齢="68")],
    )
    a, b = ingest_claim_extracts(warehouse, [koki, kokuho])
    assert (a.status, b.status, b.warnings) == ("loaded", "loaded", [])
    assert pairs(warehouse) == [
        (1, IWATE_KOKI, "2023-04", 2),
        (2, MORIOKA_KOKUHO, "2023-04", 1),
        (2, "032029", "2023-04", 1),
    ]


def test_an_empty_insurer_is_its_own_insurer(warehouse: Warehouse, tmp_path: Path) -> None:
    # 保険者番号 may be empty (the line is valid): such lines form the pair (null, month),
    # which meets only (null, month) of another file
    blank = write_extract(tmp_path / "blank.csv", [claim(保険者番号=""), claim(保険者番号="")])
    ingest_claim_extracts(warehouse, [blank])
    again = write_extract(tmp_path / "again.csv", [claim(保険者番号="", 被保険者番号="P7")])
    with pytest.raises(ClaimsOverlap) as err:
        ingest_claim_extracts(warehouse, [again])
    assert "1 (保険者番号, 診療年月) pair already loaded from another file: (no 保険者番号) " in (
        str(err.value)
    )

    # the same month with a 保険者番号 loads, with a warning: they may be the same claims
    koki = write_extract(tmp_path / "koki.csv", [claim()])
    [summary] = ingest_claim_extracts(warehouse, [koki])
    assert summary.status == "loaded"
    koki_id = summary.details["ingest_id"]
    assert summary.warnings == [
        "service months 2023-04 hold lines without 保険者番号 here and lines with one in "
        "blank.csv (ingest 1), or the other way round: if they are the same claims, they count "
        "twice (only equal (保険者番号, 診療年月) pairs are refused or replaced)"
    ]

    # --replace supersedes the (null, 2023-04) pair only: koki.csv's lines stay
    [replaced] = ingest_claim_extracts(warehouse, [again], replace=True)
    assert replaced.details["replaced"] == [
        {"ingest_id": 1, "file_name": "blank.csv", "pairs": 1, "lines": 2}
    ]
    assert pairs(warehouse) == [
        (koki_id, IWATE_KOKI, "2023-04", 1),
        (replaced.details["ingest_id"], None, "2023-04", 1),
    ]
    assert line_pairs(warehouse) == pairs(warehouse)


def test_migration_fills_claim_pairs_from_existing_lines(tmp_path: Path) -> None:
    # A warehouse of schema 1 holds claim lines but no claim_pairs: migration 002 counts them.
    import duckdb

    from zaitaku_cli.sql_files import migration_files

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    [(_, first)] = [m for m in migration_files() if m[0] == 1]
    con.execute(first.read_text(encoding="utf-8"))
    con.execute(
        "create table zaitaku_meta (key varchar primary key, value varchar);"
        "insert into zaitaku_meta values ('schema_version', '1');"
        "insert into claim_lines (ingest_id, source_row, service_month, insurer_no, person_id, "
        "residence_code5, facility_code10, act_code, times) values "
        "(7, 2, date '2023-04-01', '39030000', 1, '03201', '0311234567', '114001110', 1), "
        "(7, 3, date '2023-04-01', '39030000', 2, '03201', '0311234567', '114001110', 1), "
        "(7, 4, date '2023-05-01', null, 2, '03201', '0311234567', '114001110', 1)"
    )
    con.close()
    with Warehouse(path) as wh:
        assert wh.migrate() >= 2
        assert pairs(wh) == [(7, IWATE_KOKI, "2023-04", 2), (7, None, "2023-05", 1)]


# -- the scenario, at the command line -------------------------------------------------
def fy2023_houmon_shinryo(wh_path: Path) -> tuple[int, int, int]:
    """岩手県 FY2023 訪問診療, residence basis, all ages: (patients, claims, count)."""
    from zaitaku_cli.claims_aggregate import build_claims_by_area

    with Warehouse(wh_path) as wh:
        table = build_claims_by_area(wh, level="prefecture", suppress=False).table
    [row] = [
        (r["patients"], r["claims"], r["count"])
        for r in table.to_pylist()
        if (r["period"], r["area_code"], r["indicator"], r["basis"], r["age_group"])
        == ("FY2023", "03", "houmon_shinryo", "residence", "total")
    ]
    return row


def test_the_same_claims_saved_as_utf8_are_refused_then_replace_them(
    runner: CliRunner, tmp_path: Path
) -> None:
    import json

    from zaitaku_cli.cli import app

    rows: list[dict[str, str] | str] = [
        claim(被保険者番号="P1", 診療年月="202304"),
        claim(被保険者番号="P1", 診療年月="202305", 算定回数="2"),
        claim(被保険者番号="P2", 診療年月="202305"),
        claim(被保険者番号="P3", 診療年月="202403", 算定回数="3"),
    ]
    cp932 = write_extract(tmp_path / "kdb.csv", rows)
    utf8 = write_extract(tmp_path / "kdb_utf8.csv", rows, encoding="utf-8")
    # 市町村名 盛岡市 makes the bytes (and the sha256) differ; the claims are the same
    assert cp932.read_bytes() != utf8.read_bytes()
    wh = tmp_path / "w.duckdb"
    ingest = ["ingest", "claims", "-w", str(wh)]
    assert runner.invoke(app, [*ingest, str(cp932)]).exit_code == 0
    # FY2023 = 2023-04 … 2024-03: P1 (April, May), P2 (May), P3 (March 2024) → 3 patients;
    # claims (person × facility × month): P1-04, P1-05, P2-05, P3-03 → 4; count 1 + 2 + 1 + 3 = 7
    assert fy2023_houmon_shinryo(wh) == (3, 4, 7)

    refused = runner.invoke(app, [*ingest, str(utf8), "-q"])
    assert refused.exit_code == 1
    with Warehouse(wh) as w:
        at = f"{w.ingests()[0]['ingested_at']:%Y-%m-%d %H:%M}"
    assert refused.stderr == (
        f"Error: {utf8}: 3 (保険者番号, 診療年月) pairs already loaded from another file: "
        "39030000 2023-04, 39030000 2023-05, 39030000 2024-03; loaded from kdb.csv (ingest 1, "
        f"{at}) — nothing of this file was kept. If this file supersedes those claims, ingest "
        "it again with --replace; to take the earlier file out instead, run `zaitaku remove 1`\n"
    )
    assert refused.stdout == ""
    assert fy2023_houmon_shinryo(wh) == (3, 4, 7)

    as_json = runner.invoke(app, [*ingest, str(utf8), "--json"])
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["ingested"] == []
    assert [p["service_month"] for p in document["overlap"]["pairs"]] == [
        "2023-04",
        "2023-05",
        "2024-03",
    ]
    earlier = document["overlap"]["earlier"]
    assert [(e["ingest_id"], e["file_name"], e["pairs"], e["lines"]) for e in earlier] == [
        (1, "kdb.csv", 3, 4)
    ]

    replaced = runner.invoke(app, [*ingest, str(utf8), "--replace", "--json"])
    assert replaced.exit_code == 0, replaced.output
    [summary] = json.loads(replaced.stdout)["ingested"]
    assert summary["details"]["replaced"] == [
        {"ingest_id": 1, "file_name": "kdb.csv", "pairs": 3, "lines": 4}
    ]
    # the single load's figures: count 7, not 14
    assert fy2023_houmon_shinryo(wh) == (3, 4, 7)
    with Warehouse(wh) as w:
        assert w.fetch_all("select count(*) from claim_lines") == [(4,)]
        assert [r["state"] for r in w.ingests()] == ["replaced", "loaded"]
