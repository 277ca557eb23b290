"""The first rows of a workbook without loading it: shared strings, inline strings, rich text,
phonetic guides, gaps, and several sheets."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from factories.bureau_list import HEADERS, TITLE_2025_10, bureau_row, xlsx_bytes
from zaitaku_cli.errors import InputError
from zaitaku_cli.readers.xlsx_head import read_xlsx_head

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def test_bureau_workbook_rows_as_excel_numbers_them() -> None:
    data = xlsx_bytes([bureau_row(), bureau_row(facility_no="0110021")])
    (sheet,) = read_xlsx_head(io.BytesIO(data))
    assert sheet.name == "Sheet1"
    # Row 1 is empty, row 2 the title, row 3 empty, row 4 the header (factory layout).
    assert sheet.rows[0] == []
    assert sheet.rows[1] == [TITLE_2025_10]
    assert sheet.rows[3] == HEADERS
    assert sheet.rows[4][4] == "0110013"
    assert sheet.rows[5][4] == "0110021"
    # 併設医療機関番号 is empty in the factory's rows: a gap, not a shifted row.
    assert sheet.rows[4][5] is None
    assert len(sheet.rows) == 6


def test_stops_at_the_rows_asked_for() -> None:
    data = xlsx_bytes([bureau_row(facility_no=f"{i:07d}") for i in range(1, 101)])
    (sheet,) = read_xlsx_head(io.BytesIO(data), rows=5)
    assert len(sheet.rows) == 5
    assert sheet.rows[4][4] == "0000001"


def test_numbers_booleans_and_every_sheet(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("注記")
    notes.write_string(0, 0, "注記のみ")
    table = book.add_worksheet("表")
    table.write_string(0, 0, "市町名")
    table.write_number(1, 1, 25)
    table.write_boolean(1, 2, True)
    book.close()
    first, second = read_xlsx_head(path)
    assert (first.name, first.rows) == ("注記", [["注記のみ"]])
    assert second.name == "表"
    assert second.rows == [["市町名"], [None, "25", "TRUE"]]


def _workbook(sheet_xml: str, shared_xml: str | None) -> bytes:
    """A minimal hand-written package, for cell shapes xlsxwriter does not write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        rels = (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/s.xml"/>'
        )
        if shared_xml is not None:
            rels += (
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/>'
            )
            z.writestr("xl/strings.xml", f'<sst xmlns="{MAIN}">{shared_xml}</sst>')
        z.writestr("xl/_rels/workbook.xml.rels", rels + "</Relationships>")
        z.writestr(
            "xl/worksheets/s.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>',
        )
    return buffer.getvalue()


def test_rich_text_inline_strings_and_phonetic_guides_are_skipped() -> None:
    # Japanese Excel stores ふりがな (<rPh>) inside the shared string: it is not the cell's text.
    shared = (
        '<si><t>市町名</t><rPh sb="0" eb="2"><t>シチョウメイ</t></rPh></si>'
        "<si><r><t>支援</t></r><r><t>診１</t></r></si>"
    )
    sheet = (
        '<row r="3"><c r="A3" t="s"><v>0</v></c><c r="C3" t="s"><v>1</v></c>'
        '<c r="D3" t="inlineStr"><is><t>在後病</t></is></c></row>'
    )
    (head,) = read_xlsx_head(io.BytesIO(_workbook(sheet, shared)))
    assert head.rows == [[], [], ["市町名", None, "支援診１", "在後病"]]


def test_a_sheet_without_shared_strings() -> None:
    sheet = '<row r="1"><c r="A1" t="str"><v>計</v></c><c r="B1"><v>3</v></c></row>'
    (head,) = read_xlsx_head(io.BytesIO(_workbook(sheet, None)))
    assert head.rows == [["計", "3"]]


def test_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("<html>not a workbook</html>")
    with pytest.raises(InputError, match=r"fake.xlsx: not a readable .xlsx workbook"):
        read_xlsx_head(path)
