"""Wide count tables (市町名 × 受理記号) as files: the Iwate table of seed 004 and variations of it.

`seed_rows()` gives the table as lists of cells; the writers turn cells into a CP932/UTF-8
CSV, whitespace-separated text (as pasted from the PDF) or an .xlsx sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

SEED_TITLE = "（参考３）これまで県の広域型在宅医療連携拠点支援事業を活用した拠点"
SEED_HEADER = [
    "市町名",
    "支援病１",
    "支援病２",
    "支援病３",
    "支援診１",
    "支援診２",
    "支援診３",
    "在医総管",
    "在後病",
]
# The eight municipalities of the 盛岡 二次医療圏, as printed in the seed (R4 labels).
SEED_ROWS: list[tuple[str, list[int]]] = [
    ("盛岡市", [2, 1, 6, 1, 4, 25, 57, 2]),
    ("八幡平市", [0, 0, 1, 0, 0, 1, 2, 0]),
    ("滝沢市", [0, 0, 1, 0, 0, 1, 3, 0]),
    ("雫石町", [0, 0, 0, 0, 0, 0, 1, 0]),
    ("葛巻町", [0, 0, 1, 0, 0, 0, 1, 0]),
    ("岩手町", [0, 0, 0, 0, 0, 1, 2, 0]),
    ("紫波町", [0, 0, 0, 0, 0, 1, 1, 0]),
    ("矢巾町", [0, 0, 0, 0, 0, 1, 2, 0]),
]
SEED_TOTAL = [2, 1, 9, 1, 4, 30, 69, 2]

Cells = list[str]


def seed_rows(
    *,
    title: str | None = SEED_TITLE,
    header: Sequence[str] = SEED_HEADER,
    rows: Sequence[tuple[str, Sequence[int | str]]] = SEED_ROWS,
    total: Sequence[int | str] | None = SEED_TOTAL,
    blank_lines: bool = True,
) -> list[Cells]:
    """The seed table's lines as cells; an empty list is a blank line (the seed has three)."""
    lines: list[Cells] = []
    if title is not None:
        lines += [[title], []]
    lines.append(list(header))
    if blank_lines:
        lines.append([])
    lines += [[name, *map(str, values)] for name, values in rows]
    if total is not None:
        if blank_lines:
            lines.append([])
        lines.append(["計", *map(str, total)])
    return lines


def write_csv(
    path: Path, lines: list[Cells], *, encoding: str = "cp932", newline: str = "\r\n"
) -> Path:
    """Comma-separated, like Excel's "save as CSV" (CP932, CRLF) unless told otherwise."""
    text = newline.join(",".join(cells) for cells in lines) + newline
    path.write_bytes(text.encode(encoding))
    return path


def write_text(path: Path, lines: list[Cells], *, encoding: str = "utf-8") -> Path:
    """Whitespace-separated, as the table comes out of a PDF copy-paste."""
    path.write_bytes(("\n".join(" ".join(cells) for cells in lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, lines: list[Cells], *, first_row: int = 1, sheet: str = "表") -> Path:
    """One sheet, line i at Excel row first_row + i; whole numbers are written as numbers."""
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    for offset, cells in enumerate(lines):
        for col, cell in enumerate(cells):
            if cell.isascii() and cell.isdigit():
                worksheet.write_number(first_row - 1 + offset, col, int(cell))
            else:
                worksheet.write_string(first_row - 1 + offset, col, cell)
    workbook.close()
    return path
