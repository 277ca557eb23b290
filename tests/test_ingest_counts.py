"""Loading count tables into facility_counts: names → code5, labels → categories, snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from factories.count_table import (
    SEED_HEADER,
    SEED_ROWS,
    seed_rows,
    write_csv,
    write_text,
    write_xlsx,
)
from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_counts import ingest_count_table
from zaitaku_cli.warehouse import Warehouse

SAMPLE = Path(__file__).parents[1] / "data" / "raw" / "iwate_morioka_counts.csv"

# 盛岡市's row of the seed table, by zaitaku category (R4 labels: 在医総管 without a number).
MORIOKA = {
    "shienbyo_tandoku": 2,
    "shienbyo_renkei": 1,
    "shienbyo_jurai": 6,
    "shienshin_tandoku": 1,
    "shienshin_renkei": 4,
    "shienshin_jurai": 25,
    "zaiisoukan": 57,
    "zaigobyo": 2,
}
# The seed's 計 row, which the eight municipalities add up to.
TOTALS = {
    "shienbyo_tandoku": 2,
    "shienbyo_renkei": 1,
    "shienbyo_jurai": 9,
    "shienshin_tandoku": 1,
    "shienshin_renkei": 4,
    "shienshin_jurai": 30,
    "zaiisoukan": 69,
    "zaigobyo": 2,
}
# The 8 municipalities of the 盛岡 二次医療圏, codes from reference/data/municipalities.csv.
CODES = ["03201", "03214", "03216", "03301", "03302", "03303", "03321", "03322"]


def _by_category(wh: Warehouse, code5: str | None = None) -> dict[str, int]:
    rows = wh.fetch_all(
        "select category, sum(facilities) from facility_counts "
        "where $code5 is null or code5 = $code5 group by category",
        {"code5": code5},
    )
    return {category: int(n) for category, n in rows}


def _seed_csv(path: Path) -> Path:
    return write_csv(path.with_suffix(".csv"), seed_rows())


def _seed_text(path: Path) -> Path:
    return write_text(path.with_suffix(".txt"), seed_rows())


def _seed_xlsx(path: Path) -> Path:
    return write_xlsx(path.with_suffix(".xlsx"), seed_rows(), first_row=2)


@pytest.mark.parametrize(
    "write", [_seed_csv, _seed_text, _seed_xlsx], ids=["cp932", "text", "xlsx"]
)
def test_seed_table_loads_for_iwate(
    warehouse: Warehouse, tmp_path: Path, write: Callable[[Path], Path]
) -> None:
    path = write(tmp_path / "iwate")
    summary = ingest_count_table(warehouse, path, pref_code="03")
    assert (summary.status, summary.rows_read, summary.rows_loaded) == ("loaded", 8, 64)
    assert summary.pref_codes == ["03"]
    assert summary.as_of is None
    assert "no as-of date: pass --as-of" in summary.warnings
    assert _by_category(warehouse, "03201") == MORIOKA
    assert _by_category(warehouse) == TOTALS
    codes = warehouse.fetch_all("select distinct code5 from facility_counts order by code5")
    assert [c for (c,) in codes] == CODES
    row = warehouse.fetch_all(
        "select as_of, pref_code, name_raw, source_row, label_raw, label, category, facilities "
        "from facility_counts where code5 = '03322' and category = 'zaiisoukan'"
    )
    source_row = 13 if path.suffix == ".xlsx" else 12  # the xlsx starts one row lower
    assert row == [(None, "03", "矢巾町", source_row, "在医総管", "在医総管", "zaiisoukan", 2)]


def test_committed_sample_file_loads(warehouse: Warehouse) -> None:
    summary = ingest_count_table(warehouse, SAMPLE, pref_code="03", as_of=date(2022, 4, 1))
    assert (summary.status, summary.as_of, summary.rows_loaded) == ("loaded", date(2022, 4, 1), 64)
    assert summary.details["encoding"] in {"cp932", "shift_jis", "ms932"}
    assert _by_category(warehouse) == TOTALS


def test_reingesting_the_same_file_changes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    path = _seed_csv(tmp_path / "iwate")
    ingest_count_table(warehouse, path, pref_code="03", as_of=date(2022, 4, 1))
    again = ingest_count_table(warehouse, path, pref_code="03", as_of=date(2022, 4, 1))
    assert (again.status, again.rows_loaded, again.warnings) == ("unchanged", 0, [])
    assert warehouse.fetch_all("select count(*) from facility_counts") == [(64,)]
    assert warehouse.fetch_all("select count(*) from ingest_log") == [(1,)]


def test_reingesting_with_other_options_says_they_were_not_applied(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = _seed_csv(tmp_path / "iwate")
    ingest_count_table(warehouse, path, pref_code="03", as_of=date(2022, 4, 1))
    again = ingest_count_table(warehouse, path, pref_code="03", as_of=date(2023, 4, 1))
    assert again.status == "unchanged"
    assert again.warnings == [
        "already loaded as 03 as of 2022-04-01 (ingest 1, iwate.csv); "
        "--pref/--as-of given now were not applied"
    ]


def test_another_file_for_the_same_snapshot_replaces_it(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    as_of = date(2022, 4, 1)
    ingest_count_table(warehouse, _seed_csv(tmp_path / "first"), pref_code="03", as_of=as_of)
    # A corrected table: 盛岡市 has 26 従来型 在支診, so the 計 reads 31.
    rows = [("盛岡市", [2, 1, 6, 1, 4, 26, 57, 2]), *SEED_ROWS[1:]]
    second = write_csv(
        tmp_path / "second.csv", seed_rows(rows=rows, total=[2, 1, 9, 1, 4, 31, 69, 2])
    )
    summary = ingest_count_table(warehouse, second, pref_code="03", as_of=as_of)
    assert summary.status == "loaded"
    assert summary.warnings == [
        "replaced 64 rows of 岩手県 (03) as of 2022-04-01 loaded from first.csv (ingest 1)"
    ]
    assert warehouse.fetch_all("select count(*) from facility_counts") == [(64,)]
    assert _by_category(warehouse)["shienshin_jurai"] == 31
    # Going back to the first file is a real load again (its rows were replaced), not 'unchanged'.
    back = ingest_count_table(warehouse, tmp_path / "first.csv", pref_code="03", as_of=as_of)
    assert back.status == "loaded"
    assert _by_category(warehouse)["shienshin_jurai"] == 30


def test_other_dates_are_other_snapshots(warehouse: Warehouse, tmp_path: Path) -> None:
    path = _seed_csv(tmp_path / "iwate")
    ingest_count_table(warehouse, path, pref_code="03", as_of=date(2022, 4, 1))
    other = write_csv(tmp_path / "iwate2023.csv", seed_rows(title="令和５年４月１日現在"))
    summary = ingest_count_table(warehouse, other, pref_code="03")
    assert (summary.as_of, summary.warnings) == (date(2023, 4, 1), [])
    assert summary.details["as_of_source"] == "title"
    dates = warehouse.fetch_all(
        "select as_of, count(*) from facility_counts group by as_of order by as_of"
    )
    assert dates == [(date(2022, 4, 1), 64), (date(2023, 4, 1), 64)]


def test_as_of_option_beats_the_title(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "iwate.csv", seed_rows(title="令和５年４月１日現在"))
    summary = ingest_count_table(warehouse, path, pref_code="03", as_of=date(2023, 3, 31))
    assert summary.as_of == date(2023, 3, 31)
    assert summary.warnings == ["the title says 2023-04-01; --as-of 2023-03-31 used"]


def test_unknown_name(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [
        *SEED_ROWS[:2],
        ("滝沢村", SEED_ROWS[2][1]),
        *SEED_ROWS[3:],
    ]  # 滝沢村 became 滝沢市 in 2014
    path = write_csv(tmp_path / "iwate.csv", seed_rows(rows=rows))
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="03")
    assert str(err.value) == (
        f"{path}, row 7, column 市町名: 滝沢村: no municipality of 岩手県 (03) is named 滝沢村"
        " — write the official name (e.g. 盛岡市, 紫波郡矢巾町 or 仙台市青葉区) or check --pref"
    )
    assert warehouse.fetch_all("select count(*) from ingest_log") == [(0,)]


def test_names_of_another_prefecture(warehouse: Warehouse, tmp_path: Path) -> None:
    path = _seed_csv(tmp_path / "iwate")
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="04")  # 宮城県: none of these names
    assert str(err.value) == (
        f"{path}, row 5, column 市町名: 8 names are not municipalities of 宮城県 (04):"
        " 盛岡市 (row 5), 八幡平市 (row 6), 滝沢市 (row 7) and 5 more"
        " — write the official name (e.g. 盛岡市, 紫波郡矢巾町 or 仙台市青葉区) or check --pref"
    )


def test_same_municipality_twice(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = [*SEED_ROWS, ("紫波郡矢巾町", [0, 0, 0, 0, 0, 0, 0, 0])]
    path = write_csv(tmp_path / "iwate.csv", seed_rows(rows=rows))
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="03")
    assert str(err.value) == (
        f"{path}, row 13, column 市町名: 紫波郡矢巾町 is the same municipality as 矢巾町 (row 12)"
        " — keep one row per municipality, or its counts would be added twice"
    )


def test_city_and_its_wards(warehouse: Warehouse, tmp_path: Path) -> None:
    header = ["市区町村名", "支援診３"]
    rows = [("仙台市", [10]), ("仙台市青葉区", [4])]
    path = write_csv(tmp_path / "miyagi.csv", seed_rows(header=header, rows=rows, total=None))
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="04")
    assert str(err.value) == (
        f"{path}, row 6, column 市区町村名: 仙台市青葉区 is a ward of 仙台市 (row 5), which is"
        " listed too — keep either the city row or its ward rows, or the wards are counted twice"
    )


def test_unknown_label_column(warehouse: Warehouse, tmp_path: Path) -> None:
    header = [*SEED_HEADER[:-1], "訪問診療"]
    path = write_csv(tmp_path / "iwate.csv", seed_rows(header=header))
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="03")
    message = str(err.value)
    assert message.startswith(
        f"{path}, row 3, column 訪問診療: 訪問診療 is not a 受理記号 zaitaku knows"
        " — rename the column to one of "
    )
    assert message.endswith(", or delete it")


def test_label_not_valid_on_the_as_of_date(warehouse: Warehouse, tmp_path: Path) -> None:
    header = [*SEED_HEADER[:5], "支援診２ア", *SEED_HEADER[6:]]  # R8 label in a 2024 table
    path = write_csv(tmp_path / "iwate.csv", seed_rows(header=header))
    with pytest.raises(InputError) as err:
        ingest_count_table(warehouse, path, pref_code="03", as_of=date(2024, 4, 1))
    assert str(err.value) == (
        f"{path}, row 3, column 支援診２ア: 支援診２ア is not a 受理記号 on 2024-04-01"
        " (valid 2026-06-01–) — check the as-of date (--as-of) or the column header"
    )


def test_sub_standard_column_is_kept_out_with_a_warning(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # R6 table: 在医総管１ counts as zaiisoukan; 在医総管２ is a sub-standard with no category.
    header = ["市町名", "在医総管１", "在医総管２"]
    rows = [("盛岡市", [57, 3]), ("矢巾町", [2, 0])]
    path = write_csv(tmp_path / "iwate.csv", seed_rows(header=header, rows=rows, total=[59, 3]))
    summary = ingest_count_table(warehouse, path, pref_code="03", as_of=date(2024, 7, 1))
    assert summary.rows_loaded == 2
    assert summary.warnings == [
        "column 在医総管２ (在医総管2) is a sub-standard of another 受理記号:"
        " kept out of the counts"
    ]
    assert _by_category(warehouse) == {"zaiisoukan": 59}


def test_total_mismatch_loads_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "iwate.csv", seed_rows(total=[2, 1, 9, 1, 4, 30, 70, 2]))
    with pytest.raises(InputError, match="計 is 70 but the rows above sum to 69"):
        ingest_count_table(warehouse, path, pref_code="03")
    assert warehouse.fetch_all("select count(*) from facility_counts") == [(0,)]
