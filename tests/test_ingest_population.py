"""`zaitaku ingest population` and `ingest enrolment`: checks, refusals with kept rejects,
re-ingest, snapshots. Population files are real rows of the packaged table (factories.population).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.population import enrolment_file, population_file, row_of
from zaitaku_cli.cli import app
from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_population import check_digit, ingest_enrolment, ingest_population
from zaitaku_cli.warehouse import Warehouse

EXAMPLES = Path(__file__).parents[1] / "examples"
MORIOKA_ROW = row_of("03", "03201")  # 盛岡市 is the second line of 岩手's rows → row 3


def rejects(wh: Warehouse) -> list[tuple[object, ...]]:
    return wh.fetch_all(
        "select kind, row_number, column_name, reason, value from rejects "
        "order by row_number, column_name"
    )


def test_check_digit() -> None:
    # 03201 盛岡市: 6·0 + 5·3 + 4·2 + 3·0 + 2·1 = 25; 25 mod 11 = 3; (11 − 3) mod 10 = 8 → 032018
    assert check_digit("03201") == 8


def test_check_digit_official_codes() -> None:
    # official code6 from municipalities.csv: 131016 千代田区, 011002 札幌市, 472018 那覇市
    assert [check_digit(c) for c in ("13101", "01100", "47201")] == [6, 2, 8]


def test_population_loads_and_reingest_is_unchanged(warehouse: Warehouse, tmp_path: Path) -> None:
    path = population_file(tmp_path / "iwate.csv")
    first = ingest_population(warehouse, path)
    assert (first.status, first.rows_read, first.rows_loaded) == ("loaded", 34, 34)
    assert first.pref_codes == ["03"]
    assert str(first.as_of) == "2026-01-01"
    # 33 municipalities; their totals add up to the 岩手県 row, 1,153,900
    assert (first.details["units"], first.details["total"]) == (33, 1153900)
    again = ingest_population(warehouse, path)
    assert again.status == "unchanged"
    assert warehouse.fetch_all("select count(*) from population_tables")[0][0] == 34


def test_population_errors_name_file_row_and_column_and_keep_the_rejects(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = population_file(
        tmp_path / "bad.csv",
        edits={("03201", "female"): "-5", ("03202", "age75p"): "1"},
    )
    with pytest.raises(InputError) as err:
        ingest_population(warehouse, path)
    # 盛岡市 is row 3: female -5 is not a count, so total = male + female cannot be checked.
    # 宮古市 (row 4): 75+ is the sum of its bands 3,851 + 3,134 + 2,249 + 1,203 + 351 + 43 = 10,831
    assert str(err.value) == (
        f"{path}, row {MORIOKA_ROW}, column female: must be a whole number of 0 or more "
        "(value '-5') (2 problems in 2 rows); also row 4, column age75p: age75p must equal "
        "the sum of a75_79 … a100p = 10831 — nothing of the file was loaded; every problem "
        "is in table rejects (ingest 1)"
    )
    assert warehouse.fetch_all("select count(*) from population_tables")[0][0] == 0
    assert rejects(warehouse) == [
        ("population", 3, "female", "must be a whole number of 0 or more", "-5"),
        ("population", 4, "age75p", "age75p must equal the sum of a75_79 … a100p = 10831", "1"),
    ]
    log = warehouse.fetch_all("select kind, rows_loaded, rows_rejected from ingest_log")
    assert log == [("population", 0, 2)]


def test_population_bands_must_add_up_to_the_total(warehouse: Warehouse, tmp_path: Path) -> None:
    # 盛岡市: moving 10 people from a95_99 (1,395) into nowhere breaks Σ bands + band_gap = total
    path = population_file(tmp_path / "bands.csv", edits={("03201", "a95_99"): "1385"})
    with pytest.raises(InputError) as err:
        ingest_population(warehouse, path)
    reasons = {(r[1], r[2]): r[3] for r in rejects(warehouse)}
    assert reasons[MORIOKA_ROW, "band_gap"] == (
        "band_gap must equal total − the sum of the 5-year bands = 10"
    )
    # 65+ and 75+ are sums of the bands too: 81,969 − 10 and 44,917 − 10
    assert reasons[MORIOKA_ROW, "age65p"].endswith("= 81959")
    assert reasons[MORIOKA_ROW, "age75p"].endswith("= 44907")
    assert err.value.row == MORIOKA_ROW


def test_population_codes_are_checked(warehouse: Warehouse, tmp_path: Path) -> None:
    path = population_file(
        tmp_path / "codes.csv",
        edits={("03201", "code6"): "032019", ("03202", "kind"): "町"},
        extra_lines=["039998,03999,架空村,村,2026-01-01,x" + ",0" * 29],
    )
    with pytest.raises(InputError):
        ingest_population(warehouse, path)
    found = {(r[1], r[2]): (r[3], r[4]) for r in rejects(warehouse)}
    assert found[MORIOKA_ROW, "code6"] == (
        "code6 must be code5 followed by its check digit",
        "032019",
    )
    assert found[4, "kind"] == ("the code is a 市 in the municipality list", "町")
    assert found[36, "code5"] == (
        "not a current municipality code (municipality list of 2024-01-01)",
        "03999",
    )


def test_population_unit_twice_is_rejected(warehouse: Warehouse, tmp_path: Path) -> None:
    header_and_rows = population_file(tmp_path / "dup.csv").read_text(encoding="utf-8")
    morioka = header_and_rows.splitlines()[MORIOKA_ROW - 1]
    path = tmp_path / "dup2.csv"
    path.write_text(header_and_rows + morioka + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest_population(warehouse, path)
    assert err.value.row == 36
    assert "the unit appears again (first at row 3)" in str(err.value)


def test_population_must_cover_whole_prefectures(warehouse: Warehouse, tmp_path: Path) -> None:
    path = population_file(tmp_path / "part.csv", drop=["03000", "03322"])
    with pytest.raises(InputError) as err:
        ingest_population(warehouse, path)
    assert str(err.value).startswith(
        f"{path}, column code5: 1 municipalities or wards of the prefectures in the table have "
        "no row: 03322 矢巾町 — a population table covers whole prefectures"
    )


def test_population_header_must_be_population_csv(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("code5,name,total\n03201,盛岡市,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest_population(warehouse, path)
    assert str(err.value).startswith(
        f"{path}, row 1, column code6: the header is not that of a population table: "
        "missing code6, kind, as_of"
    )


def test_population_cp932_is_read(warehouse: Warehouse, tmp_path: Path) -> None:
    path = population_file(tmp_path / "sjis.csv", encoding="cp932")
    assert ingest_population(warehouse, path).status == "loaded"


def test_older_table_is_kept_but_not_used(warehouse: Warehouse, tmp_path: Path) -> None:
    old = population_file(tmp_path / "old.csv", as_of="2024-01-01")
    summary = ingest_population(warehouse, old)
    assert summary.warnings == [
        "03: a newer table (as of 2025-01-01) is in use; this one (2024-01-01) is kept but not "
        "used (the newest as-of wins)"
    ]


def test_same_date_from_another_file_replaces(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_population(warehouse, population_file(tmp_path / "a.csv"))
    again = population_file(tmp_path / "b.csv", extra_lines=[""])  # other bytes, same rows
    summary = ingest_population(warehouse, again)
    assert summary.warnings == [
        "replaced 34 rows of the same prefectures as of 2026-01-01 loaded from a.csv (ingest 1)"
    ]
    assert warehouse.fetch_all("select count(*) from population_tables")[0][0] == 34


# -- enrolment ---------------------------------------------------------------------------------


def test_enrolment_example_loads(warehouse: Warehouse) -> None:
    summary = ingest_enrolment(warehouse, EXAMPLES / "enrolment.example.csv")
    # 8 municipalities of the 盛岡 area × (国保 under65, 国保 65to74, 後期 65to74, 後期 75plus)
    assert (summary.status, summary.rows_loaded, summary.pref_codes) == ("loaded", 32, ["03"])
    assert summary.details["schemes"] == ["国保", "後期"]
    assert ingest_enrolment(warehouse, EXAMPLES / "enrolment.example.csv").status == "unchanged"


def test_enrolment_with_mapping_and_cp932(warehouse: Warehouse, tmp_path: Path) -> None:
    path = enrolment_file(
        tmp_path / "kokuho.csv",
        [
            ["2025-03-31", "03201", "国民健康保険", "0～64歳", "27364"],
            ["2025-03-31", "03201", "国民健康保険", "65～74歳", "28901"],
            ["2025-03-31", "03201", "後期高齢者医療制度", "75歳～", '"44,243"'],
        ],
        header="集計日,市区町村ｺｰﾄﾞ,保険,年齢区分,加入者数(人)",
        encoding="cp932",
    )
    summary = ingest_enrolment(warehouse, path, mapping=EXAMPLES / "enrolment_mapping.example.toml")
    assert summary.rows_loaded == 3
    assert warehouse.fetch_all(
        "select code5, scheme, age_group, members from enrolment order by source_row"
    ) == [
        ("03201", "国保", "under65", 27364),
        ("03201", "国保", "65to74", 28901),
        ("03201", "後期", "75plus", 44243),
    ]


def test_enrolment_without_date_needs_as_of(warehouse: Warehouse, tmp_path: Path) -> None:
    path = enrolment_file(
        tmp_path / "e.csv", [["032018", "75plus", "100"]], header="市町村コード,年齢階級,被保険者数"
    )
    with pytest.raises(InputError, match="no 基準日"):
        ingest_enrolment(warehouse, path)
    from datetime import date

    summary = ingest_enrolment(warehouse, path, as_of=date(2025, 3, 31))
    assert str(summary.as_of) == "2025-03-31"
    # no 制度 column: the figure is 国保 + 後期 together
    assert warehouse.fetch_all("select scheme from enrolment") == [("国保+後期",)]


def test_older_enrolment_is_kept_but_not_used_and_the_same_date_replaces(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    def table(name: str, day: str, members: int) -> Path:
        return enrolment_file(
            tmp_path / name, [[day, "032018", "盛岡市", "国保", "under65", str(members)]]
        )

    assert ingest_enrolment(warehouse, table("new.csv", "2025-03-31", 10)).warnings == []
    older = ingest_enrolment(warehouse, table("old.csv", "2024-03-31", 20))
    assert older.warnings == [
        "03: a newer table (as of 2025-03-31) is in use; this one (2024-03-31) is kept but not "
        "used (the newest as-of wins)"
    ]
    # another file of the newest date: the 1 row of new.csv (ingest 1) goes, old.csv's stays
    again = ingest_enrolment(warehouse, table("fixed.csv", "2025-03-31", 11))
    assert again.warnings == [
        "replaced 1 rows of the same prefectures as of 2025-03-31 loaded from new.csv (ingest 1)"
    ]
    assert warehouse.fetch_all(
        "select ingest_id, as_of, members from enrolment order by ingest_id"
    ) == [(2, date(2024, 3, 31), 20), (3, date(2025, 3, 31), 11)]


def test_enrolment_errors(warehouse: Warehouse, tmp_path: Path) -> None:
    path = enrolment_file(
        tmp_path / "bad.csv",
        [
            ["2025-03-31", "032019", "盛岡市", "国保", "under65", "10"],  # wrong check digit
            ["2025-03-31", "04100", "仙台市", "国保", "under65", "10"],
            ["2025-03-31", "04101", "青葉区", "国保", "under65", "10"],  # city listed too
            ["2025-03-31", "03322", "矢巾町", "社保", "40-64", "x"],
        ],
    )
    with pytest.raises(InputError) as err:
        ingest_enrolment(warehouse, path)
    assert err.value.row == 2
    assert err.value.column == "municipality_code"
    assert [(r[1], r[2], r[3]) for r in rejects(warehouse)] == [
        (
            2,
            "municipality_code",
            "市町村コード: the check digit does not match (6 digits = code + check digit)",
        ),
        (
            4,
            "municipality_code",
            "a ward of 04100, which has its own row (row 3): it would be counted twice",
        ),
        (5, "age_group", "年齢階級 must be under65, 65to74 or 75plus (map yours with --mapping)"),
        (5, "members", "被保険者数 must be a whole number of 0 or more"),
        (5, "scheme", "制度 must be 国保 or 後期 (map yours with --mapping)"),
    ]
    assert warehouse.fetch_all("select count(*) from enrolment")[0][0] == 0


def test_cli_ingest_population_error_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    path = population_file(tmp_path / "bad.csv", edits={("03201", "female"): "x"})
    result = runner.invoke(
        app, ["ingest", "population", str(path), "-w", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 1
    assert " ".join(result.output.split()).startswith(
        f"Error: {path}, row 3, column female: must be a whole number of 0 or more"
    )


def test_cli_ingest_enrolment_json(runner: CliRunner, tmp_path: Path) -> None:
    args = ["ingest", "enrolment", str(EXAMPLES / "enrolment.example.csv")]
    result = runner.invoke(app, [*args, "-w", str(tmp_path / "w.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    ingested = json.loads(result.stdout)["ingested"][0]
    assert (ingested["kind"], ingested["status"], ingested["rows_loaded"]) == (
        "enrolment",
        "loaded",
        32,
    )
