"""The bureau list reader on real-shaped inputs: xlsx, CP932/UTF-8 CSV from Excel, zip, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from factories.bureau_list import (
    HEADERS,
    TITLE_2025_10,
    bureau_row,
    csv_bytes,
    write_csv,
    write_xlsx,
    write_zip,
    xlsx_bytes,
)
from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.readers.bureau_list import (
    bureau_columns,
    facility_codes_in,
    facility_no_expr,
    pref_code_expr,
    read_bureau_list,
)

ROWS = [
    bureau_row(facility_no="0110013", label="支援診３", juri_no="第１号"),
    bureau_row(facility_no="0110013", label="在医総管１", juri_no="第２号"),
    bureau_row(facility_no="0120011", label="初診", address="宮古市五月町１－２０"),
]


def test_columns_table_has_the_24_headers_in_order() -> None:
    assert [c.header for c in bureau_columns()] == HEADERS
    assert len({c.name for c in bureau_columns()}) == 24


def test_xlsx_real_layout(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "iwate.xlsx", ROWS)
    bureau = read_bureau_list(path)
    # Title in row 2 says 令和７年１０月１日 現在 → 2025-10-01; header in row 4; data rows 5–7.
    assert bureau.as_of == date(2025, 10, 1)
    assert bureau.as_of_source == "title"
    assert [(s.header_row, s.rows, s.sheet) for s in bureau.sheets] == [(4, 3, "Sheet1")]
    frame = bureau.frame
    assert frame["source_row"].to_list() == [5, 6, 7]
    assert frame["source_file"].unique().to_list() == ["iwate.xlsx"]
    assert frame["label_raw"].to_list() == ["支援診３", "在医総管１", "初診"]
    assert frame["address"][2] == "宮古市五月町１－２０"
    assert frame["item_no"].to_list() == ["1", "2", "3"]
    # Empty cells are null, not "": 病床数 is empty in every row.
    assert frame["beds"].null_count() == 3


def test_header_found_by_content_and_blank_rows_keep_row_numbers(tmp_path: Path) -> None:
    # Two extra note rows above: the header moves to row 6, data to rows 7–. A blank row in the
    # middle of the data is dropped but the rows after it keep their sheet numbers.
    import xlsxwriter

    path = tmp_path / "moved.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "届出受理医療機関名簿（医科）")
    sheet.write_string(1, 0, TITLE_2025_10)
    sheet.write_string(3, 0, "※ 東北厚生局")
    for c, header in enumerate(HEADERS):
        sheet.write_string(5, c, header)
    for c, value in enumerate(ROWS[0]):
        if value:
            sheet.write_string(6, c, value)
    for c, value in enumerate(ROWS[2]):  # row 8 left blank, this is row 9
        if value:
            sheet.write_string(8, c, value)
    book.close()
    bureau = read_bureau_list(path)
    assert bureau.sheets[0].header_row == 6
    assert bureau.frame["source_row"].to_list() == [7, 9]


def test_header_cells_match_after_nfkc_and_spaces(tmp_path: Path) -> None:
    headers = [h.replace("（", "(").replace("）", ")") for h in HEADERS]
    headers[HEADERS.index("医療機関番号")] = " 医療機関番号 "
    bureau = read_bureau_list(write_xlsx(tmp_path / "edited.xlsx", ROWS, headers=headers))
    assert bureau.frame["address"][0] == "盛岡市内丸１１－１"
    assert bureau.frame["facility_no"][0] == "0110013"


def test_cp932_csv_from_excel(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "iwate.csv", ROWS, encoding="cp932")
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == 4 + 3  # CRLF: 3 lines above the header, header, 3 rows
    assert raw.split(b"\r\n")[0] == b"," * 23  # blank line padded to 24 fields
    bureau = read_bureau_list(path)
    assert bureau.as_of == date(2025, 10, 1)
    # CSV lines count like sheet rows: header on line 4, data on lines 5–7.
    assert bureau.sheets[0].header_row == 4
    assert bureau.frame["source_row"].to_list() == [5, 6, 7]
    assert bureau.frame["facility_name"][0] == "盛岡テスト内科クリニック"
    assert bureau.frame["juri_no"].to_list() == ["第１号", "第２号", "第１号"]


def test_utf8_bom_csv_and_quoted_cells(tmp_path: Path) -> None:
    rows = [bureau_row(name='盛岡"テスト",クリニック')]  # Excel quotes a cell with , or "
    bureau = read_bureau_list(write_csv(tmp_path / "u.csv", rows, encoding="utf-8-sig"))
    assert bureau.frame["facility_name"].to_list() == ['盛岡"テスト",クリニック']
    assert bureau.frame["pref_code"].to_list() == ["03"]  # BOM not glued to the first cell


def test_zip_with_cp932_member_names(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "tohoku.zip",
        {
            "岩手県/届出受理医療機関名簿（医科）.xlsx": xlsx_bytes(ROWS[:2]),
            "宮城県.csv": csv_bytes([bureau_row(pref_code="04", address="仙台市青葉区本町１")]),
            "読んでください.pdf": b"%PDF-1.4",
            "説明.txt": "この名簿について".encode("cp932"),
        },
    )
    bureau = read_bureau_list(path)
    # Members are read in name order: 宮城県.csv (1 row), then 岩手県/… (2 rows).
    files = bureau.frame["source_file"].to_list()
    assert files == [
        "tohoku.zip/宮城県.csv",
        "tohoku.zip/岩手県/届出受理医療機関名簿（医科）.xlsx",
        "tohoku.zip/岩手県/届出受理医療機関名簿（医科）.xlsx",
    ]
    assert bureau.frame["source_row"].to_list() == [5, 5, 6]
    assert bureau.as_of == date(2025, 10, 1)
    assert bureau.warnings == [
        "tohoku.zip/説明.txt: skipped (not .xlsx or .csv)",
        "tohoku.zip/読んでください.pdf: skipped (not .xlsx or .csv)",
    ]


def test_xls_is_refused_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "tohoku.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(UnsupportedFormatError) as info:
        read_bureau_list(path)
    assert str(info.value) == (
        "tohoku.xls: legacy Excel 97-2003 workbooks (.xls) are not read — open it in Excel and "
        "save it as .xlsx (Excel ブック), then ingest the .xlsx"
    )


def test_xls_renamed_to_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(UnsupportedFormatError, match=r"^renamed.xlsx: legacy Excel 97-2003"):
        read_bureau_list(path)


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.ods"
    path.write_bytes(b"PK")
    with pytest.raises(UnsupportedFormatError) as info:
        read_bureau_list(path)
    assert str(info.value) == (
        "list.ods: unsupported file type '.ods' — give the bureau list as .xlsx, a .zip of "
        ".xlsx, or a CSV saved from Excel"
    )


def test_missing_columns_verbatim(tmp_path: Path) -> None:
    headers = list(HEADERS)
    headers[HEADERS.index("受理番号")] = ""
    headers[HEADERS.index("算定開始年月日")] = "開始日"
    path = write_xlsx(tmp_path / "edited.xlsx", ROWS, headers=headers)
    with pytest.raises(InputError) as info:
        read_bureau_list(path)
    assert str(info.value) == (
        "edited.xlsx, row 4: missing column(s) 受理番号, 算定開始年月日 in the header row — "
        "restore the original column names of the 届出受理医療機関名簿 (all 24 columns as "
        "published by the bureau)"
    )
    assert info.value.row == 4


def test_header_without_a_key_column_reports_what_is_missing(tmp_path: Path) -> None:
    # No 受理記号 column: the row with most known headers (row 4) is reported as the header.
    headers = [h if h != "受理記号" else "記号" for h in HEADERS]
    with pytest.raises(InputError) as info:
        read_bureau_list(write_xlsx(tmp_path / "x.xlsx", ROWS, headers=headers))
    assert str(info.value).startswith("x.xlsx, row 4: missing column(s) 受理記号 in the header row")


def test_no_header_row_verbatim(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "other.xlsx", ROWS, headers=["a", "b", "c"])
    with pytest.raises(InputError) as info:
        read_bureau_list(path)
    assert str(info.value) == (
        "other.xlsx: no header row in the first 20 rows: expected a row with the columns "
        "都道府県コード, 医療機関番号, 受理記号 — is this a 届出受理医療機関名簿 (医科) from a "
        "地方厚生局? Export it again from the bureau's site without editing the header"
    )


def test_as_of_needed_without_title(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "untitled.xlsx", ROWS, title=None)
    with pytest.raises(InputError) as info:
        read_bureau_list(path)
    assert str(info.value) == (
        "untitled.xlsx: no list date: the rows above the header (row 4) carry no title such as "
        "'[令和７年１０月１日 現在 ]' — pass --as-of YYYY-MM-DD with the date the list is valid for"
    )
    assert read_bureau_list(path, as_of=date(2025, 10, 1)).as_of == date(2025, 10, 1)


def test_as_of_option_overrides_the_title_with_a_warning(tmp_path: Path) -> None:
    bureau = read_bureau_list(write_xlsx(tmp_path / "t.xlsx", ROWS), as_of=date(2025, 11, 1))
    assert bureau.as_of == date(2025, 11, 1)
    assert bureau.as_of_source == "option"
    assert bureau.warnings == ["t.xlsx: the title says 2025-10-01; using --as-of 2025-11-01"]


def test_key_expressions() -> None:
    frame = pl.DataFrame(
        {
            "pref_code": ["03", "3", "３", "48x", None],
            "facility_no": ["0110013", "110013", "０１１００１３", "01100131", "011-001"],
        }
    )
    out = frame.select(pref_code_expr(), facility_no_expr())
    # One digit is padded (Excel drops the zero); full-width digits are NFKC'd; other text kept.
    assert out["pref_code"].to_list() == ["03", "03", "03", "48x", None]
    # Up to 7 digits padded to 7; 8 digits or non-digits → null (rejected by the ingest).
    assert out["facility_no"].to_list() == ["0110013", "0110013", "0110013", None, None]


def test_facility_codes_in(tmp_path: Path) -> None:
    rows = [*ROWS, bureau_row(facility_no="0130019", kubun="歯科", label="歯援診２")]
    codes = facility_codes_in(write_xlsx(tmp_path / "l.xlsx", rows, title=None))
    # 医科 facilities 0110013 and 0120011 of 岩手 (03): 03 + 1 (医科) + number; 歯科 left out.
    assert codes == ["0310110013", "0310120011"]
