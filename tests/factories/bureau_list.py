"""Small real-shaped bureau lists (届出受理医療機関名簿) built in tmp_path: xlsx, CSV, zip.

The layout copies the published workbooks (domain.md §2): row 1 empty, row 2 the title with the
list date in full-width digits, row 3 empty, row 4 the 24 headers, data from row 5, every cell
text. Titles are written out literally here (not produced by zaitaku) so that the reader is tested
against what the bureaus print, not against itself.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

HEADERS = [
    "項番",
    "都道府県コード",
    "都道府県名",
    "区分",
    "医療機関番号",
    "併設医療機関番号",
    "医療機関記号番号",
    "医療機関名称",
    "医療機関所在地（郵便番号）",
    "医療機関所在地（住所）",
    "電話番号",
    "FAX番号",
    "病床数",
    "受理届出名称",
    "受理記号",
    "受理番号",
    "算定開始年月日",
    "個別有効開始年月日",
    "備考（見出し）",
    "備考（データ）",
    "市町村コード",
    "市町村名",
    "種別コード",
    "種別",
]

TITLE_2025_10 = "[令和７年１０月１日 現在 ]令和７年１０月２１日作成"
TITLE_2025_04 = "[令和７年４月１日 現在 ]令和７年４月１５日作成"
TITLE_2023_10 = "[令和５年１０月１日 現在 ]令和５年１０月２０日作成"
TITLE_2026_07 = "[令和８年７月１日 現在 ]令和８年７月２２日作成"

PREF_NAMES = {"03": "岩手県", "04": "宮城県", "13": "東京都", "22": "静岡県"}

Row = list[str]


def bureau_row(
    *,
    facility_no: str = "0110013",
    label: str = "支援診３",
    address: str = "盛岡市内丸１１－１",
    pref_code: str = "03",
    kubun: str = "医科",
    name: str = "盛岡テスト内科クリニック",
    notification: str = "",
    juri_no: str = "第１号",
    start: str = "令和 6年 6月 1日",
    remark_heading: str = "",
    remark_data: str = "",
    item_no: str = "",
) -> Row:
    """One data row in the 24-column order, with the defaults of a plain 岩手 clinic."""
    values = {
        "項番": item_no,
        "都道府県コード": pref_code,
        "都道府県名": PREF_NAMES.get(pref_code, ""),
        "区分": kubun,
        "医療機関番号": facility_no,
        "医療機関記号番号": f"{facility_no[:2]},{facility_no[2:6]},{facility_no[6:]}",
        "医療機関名称": name,
        "医療機関所在地（郵便番号）": "〒020-0023",
        "医療機関所在地（住所）": address,
        "電話番号": "019-000-0000",
        "病床数": "",
        "受理届出名称": notification or f"{label}の施設基準",
        "受理記号": label,
        "受理番号": juri_no,
        "算定開始年月日": start,
        "備考（見出し）": remark_heading,
        "備考（データ）": remark_data,
    }
    return [values.get(h, "") for h in HEADERS]


def _numbered(rows: Sequence[Row]) -> list[Row]:
    # 項番 counts the data rows as the bureaus print it, unless the row sets its own.
    out = []
    for i, row in enumerate(rows, start=1):
        row = list(row)
        if not row[0]:
            row[0] = str(i)
        out.append(row)
    return out


def xlsx_bytes(
    rows: Sequence[Row],
    *,
    title: str | None = TITLE_2025_10,
    headers: Sequence[str] = HEADERS,
    sheet_name: str = "Sheet1",
) -> bytes:
    """The workbook in the real layout (title row 2, header row 4, data from row 5) as bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name)
    if title is not None:
        sheet.write_string(1, 0, title)
    for c, header in enumerate(headers):
        sheet.write_string(3, c, header)
    for r, row in enumerate(_numbered(rows), start=4):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def write_xlsx(path: Path, rows: Sequence[Row], **kwargs: object) -> Path:
    path.write_bytes(xlsx_bytes(rows, **kwargs))  # type: ignore[arg-type]
    return path


def csv_bytes(
    rows: Sequence[Row],
    *,
    encoding: str = "cp932",
    title: str | None = TITLE_2025_10,
    headers: Sequence[str] = HEADERS,
) -> bytes:
    """What Excel's "save as CSV" writes: CRLF, every line padded to 24 fields, title lines too.

    encoding 'cp932' (CSV (コンマ区切り)) or 'utf-8-sig' (CSV UTF-8, with BOM) or 'utf-8'.
    """
    width = len(headers)
    lines = [[""] * width, [title or ""] + [""] * (width - 1), [""] * width, list(headers)]
    lines += _numbered(rows)

    def cell(value: str) -> str:
        if "," in value or '"' in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    text = "".join(",".join(cell(v) for v in line) + "\r\n" for line in lines)
    return text.encode(encoding)


def write_csv(path: Path, rows: Sequence[Row], **kwargs: object) -> Path:
    path.write_bytes(csv_bytes(rows, **kwargs))  # type: ignore[arg-type]
    return path


class _LegacyNameInfo(zipfile.ZipInfo):
    """A member whose name is written as cp437 bytes with the UTF-8 flag (0x800) cleared.

    zipfile writes any non-ASCII name as UTF-8 and sets the flag; Windows "send to compressed
    folder" on a Japanese system writes CP932 bytes and no flag. Giving the CP932 bytes decoded
    as cp437 as the name, and encoding it back as cp437 here, stores exactly those bytes.
    (_encodeFilenameFlags is what zipfile calls for both the local and the central header.)
    """

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp437"), self.flag_bits & ~0x800


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip whose member names are CP932 bytes without the UTF-8 flag, like the bureaus'."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = _LegacyNameInfo(name.encode("cp932").decode("cp437"))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    with zipfile.ZipFile(path) as check:
        for info in check.infolist():
            assert not info.flag_bits & 0x800, "the factory must not set the UTF-8 flag"
    return path
