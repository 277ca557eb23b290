"""Reading wide count tables: the seed table in its three shapes, and the errors an analyst sees."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from factories.count_table import (
    SEED_HEADER,
    SEED_ROWS,
    SEED_TOTAL,
    seed_rows,
    write_csv,
    write_text,
    write_xlsx,
)
from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.readers.count_table import read_count_table

# The table as it sits in seed 004 (copied from the PDF: runs of spaces, blank lines, and the
# next table's title and a stray header line after the 計 row).
SEED_TEXT = """\
（参考３）これまで県の広域型在宅医療連携拠点支援事業を活用した拠点

市町名 支援病１ 支援病２ 支援病３ 支援診１ 支援診２ 支援診３ 在医総管 在後病

盛岡市 2 1 6 1 4 25 57 2
八幡平市 0 0 1 0 0 1 2 0
滝沢市 0 0 1 0 0 1 3 0
雫石町 0 0 0 0 0 0 1 0
葛巻町 0 0 1 0 0 0 1 0
岩手町 0 0 0 0 0 1 2 0
紫波町 0 0 0 0 0 1 1 0
矢巾町 0 0 0 0 0 1 2 0

計 2 1 9 1 4 30 69 2

（参考２）在宅療養支援病院及び支援診療所等の状況
 支援診・支援病１ 支援診・支援病２

支援診・支援病３
"""


def _column_sums(counts: pl.DataFrame) -> list[int]:
    sums = counts.group_by("label_raw").agg(pl.col("facilities").sum())
    by_label = dict(sums.iter_rows())
    return [by_label[label] for label in SEED_HEADER[1:]]


def _check_seed(table_rows: pl.DataFrame) -> None:
    morioka = table_rows.filter(pl.col("name_raw") == "盛岡市")
    assert morioka["label_raw"].to_list() == SEED_HEADER[1:]
    assert morioka["facilities"].to_list() == [2, 1, 6, 1, 4, 25, 57, 2]
    assert _column_sums(table_rows) == SEED_TOTAL
    assert table_rows["name_raw"].unique(maintain_order=True).to_list() == [
        name for name, _ in SEED_ROWS
    ]


def test_seed_as_cp932_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "counts.csv", seed_rows())
    table = read_count_table(path)
    # Lines: 1 title, 2 blank, 3 header, 4 blank, 5–12 municipalities, 13 blank, 14 計.
    assert (table.header_row, table.total_row, table.municipality_rows) == (3, 14, 8)
    assert table.name_header == "市町名"
    assert table.labels == SEED_HEADER[1:]
    assert table.title_lines == [
        "（参考３）これまで県の広域型在宅医療連携拠点支援事業を活用した拠点"
    ]
    assert table.as_of is None
    assert table.counts.filter(pl.col("name_raw") == "矢巾町")["source_row"].unique().item() == 12
    _check_seed(table.counts)


def test_seed_as_pasted_from_the_pdf(tmp_path: Path) -> None:
    path = tmp_path / "counts.txt"
    path.write_text(SEED_TEXT, encoding="utf-8")
    table = read_count_table(path)
    assert (table.header_row, table.total_row) == (3, 14)
    _check_seed(table.counts)
    # What follows the 計 row is the next table's heading: kept as notes, not read as data.
    assert table.notes == [
        "（参考２）在宅療養支援病院及び支援診療所等の状況",
        "支援診・支援病１ 支援診・支援病２",
        "支援診・支援病３",
    ]


def test_seed_as_xlsx_keeps_excel_row_numbers(tmp_path: Path) -> None:
    # Title in Excel row 2 (row 1 empty, as in the bureau workbooks): header lands on row 4.
    path = write_xlsx(tmp_path / "counts.xlsx", seed_rows(), first_row=2)
    table = read_count_table(path)
    assert (table.header_row, table.total_row, table.sheet) == (4, 15, "表")
    assert table.encoding is None
    assert table.counts.filter(pl.col("name_raw") == "盛岡市")["source_row"].unique().item() == 6
    _check_seed(table.counts)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "counts.csv", seed_rows(), encoding=encoding, newline="\n")
    table = read_count_table(path)
    # The BOM must not stick to the title (or to 市町名 when there is no title).
    assert table.title_lines[0].startswith("（参考３）")
    _check_seed(table.counts)


def test_tab_separated_without_title(tmp_path: Path) -> None:
    path = tmp_path / "counts.tsv"
    lines = seed_rows(title=None, blank_lines=False)
    path.write_text("\n".join("\t".join(cells) for cells in lines), encoding="utf-8")
    table = read_count_table(path)
    assert (table.header_row, table.total_row, table.title_lines) == (1, 10, [])
    _check_seed(table.counts)


def test_excel_padding_commas_are_ignored(tmp_path: Path) -> None:
    lines = [cells + [""] * (12 - len(cells)) for cells in seed_rows()]
    table = read_count_table(write_csv(tmp_path / "counts.csv", lines))
    assert table.labels == SEED_HEADER[1:]
    _check_seed(table.counts)


def test_name_spaced_out_by_the_pdf(tmp_path: Path) -> None:
    rows = [("盛 岡 市", SEED_ROWS[0][1]), *SEED_ROWS[1:]]
    table = read_count_table(write_text(tmp_path / "counts.txt", seed_rows(rows=rows)))
    assert table.counts["name_raw"][0] == "盛岡市"


def test_header_found_by_its_labels_when_the_name_header_is_blank(tmp_path: Path) -> None:
    lines = seed_rows(header=["", *SEED_HEADER[1:]])
    table = read_count_table(write_csv(tmp_path / "counts.csv", lines))
    assert (table.header_row, table.name_header) == (3, "")
    _check_seed(table.counts)


def test_as_of_from_the_title(tmp_path: Path) -> None:
    lines = seed_rows(title="在宅療養支援診療所等の届出状況（令和６年４月１日現在）")
    table = read_count_table(write_csv(tmp_path / "counts.csv", lines))
    assert table.as_of == date(2024, 4, 1)


def test_total_mismatch_names_file_row_column_and_both_numbers(tmp_path: Path) -> None:
    total = [2, 1, 9, 1, 4, 31, 69, 2]  # 支援診３ printed as 31; the rows add up to 30
    path = write_csv(tmp_path / "counts.csv", seed_rows(total=total))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 14, column 支援診３: 計 is 31 but the rows above sum to 30"
        " — correct the 計 row or the counts above it"
    )


def test_bad_number(tmp_path: Path) -> None:
    rows = [*SEED_ROWS[:2], ("滝沢市", [0, 0, "1件", 0, 0, 1, 3, 0]), *SEED_ROWS[3:]]
    path = write_csv(tmp_path / "counts.csv", seed_rows(rows=rows))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 7, column 支援病３: '1件' is not a count"
        " — write a whole number of facilities (0 if there are none)"
    )


def test_negative_number(tmp_path: Path) -> None:
    rows = [("盛岡市", [2, 1, 6, 1, 4, 25, "-57", 2]), *SEED_ROWS[1:]]
    path = write_csv(tmp_path / "counts.csv", seed_rows(rows=rows, total=None))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == f"{path}, row 5, column 在医総管: negative count -57 — counts are ≥ 0"


def test_empty_cell_is_not_taken_for_zero(tmp_path: Path) -> None:
    rows = [("盛岡市", [2, 1, 6, 1, 4, 25, 57, ""]), *SEED_ROWS[1:]]
    path = write_csv(tmp_path / "counts.csv", seed_rows(rows=rows, total=None))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 5, column 在後病: empty cell is not a count"
        " — write a whole number of facilities (0 if there are none)"
    )


def test_short_row_in_pasted_text(tmp_path: Path) -> None:
    rows = [("盛岡市", [2, 1, 6, 1, 4, 25, 57]), *SEED_ROWS[1:]]
    path = write_text(tmp_path / "counts.txt", seed_rows(rows=rows))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 5: 7 values for 8 columns"
        " — every row needs one count per 受理記号 column (0 if none)"
    )


def test_counts_after_the_total_row(tmp_path: Path) -> None:
    lines = [*seed_rows(), ["雫石町", "0", "0", "0", "0", "0", "0", "1", "0"]]
    path = write_csv(tmp_path / "counts.csv", lines)
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 15: counts after the 計 row — move this row above the 計 row, or delete it"
    )


def test_duplicate_label_column(tmp_path: Path) -> None:
    header = [*SEED_HEADER[:-1], "支援病1"]  # ASCII 1: the same 受理記号 as 支援病１ once NFKC'd
    path = write_csv(tmp_path / "counts.csv", seed_rows(header=header))
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}, row 3, column 支援病1: 支援病1 appears twice in the header (also as 支援病１)"
        " — keep one column per 受理記号"
    )


def test_no_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "counts.csv", [["盛岡市", "2", "1"], ["滝沢市", "0", "0"]])
    with pytest.raises(InputError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}: no header row in the first 30 lines — the header's first cell should be 市町名"
        " (or 市町村名, 市区町村…), then 受理記号"
    )


def test_legacy_xls_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "counts.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFormatError) as err:
        read_count_table(path)
    assert str(err.value) == (
        f"{path}: legacy .xls workbooks are not read — open it in Excel and save it as .xlsx or CSV"
    )


def test_corrupt_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "counts.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(UnsupportedFormatError) as err:
        read_count_table(path)
    assert str(err.value).startswith(f"{path}: cannot open the workbook: ")
    assert str(err.value).endswith(" — save it again as .xlsx")
