"""Read a small analyst table — a CSV or the sheet of an Excel workbook (.xlsx) — whose header
row may sit below a title: the facility survey and the hub list, typed by hand in Excel.

The header is found by content (the first row, among the first HEADER_SEARCH_ROWS, that the
caller's test accepts), so a title line or a blank row above it does not matter. Every cell
comes back as text with the row number the analyst sees (CSV line, Excel row), so that checks
can name file, row and column. Whole-file, in memory: these tables have hundreds of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.encoding import decode_bytes

__all__ = [
    "HEADER_SEARCH_ROWS",
    "SmallTable",
    "read_small_table",
    "read_text_file",
    "workbook_sheets",
]

HEADER_SEARCH_ROWS = 20

_Row = tuple[int, list[str]]


@dataclass(frozen=True)
class SmallTable:
    path: Path
    header: list[str]
    header_row: int  # where the header is, as the analyst counts rows
    rows: pl.DataFrame  # one text column per header name, plus source_row and raw_row
    encoding: str | None  # CSV: the encoding read; workbook: None
    sheet: str | None  # workbook: the sheet read; CSV: None


def read_small_table(
    path: Path,
    *,
    is_header: Callable[[list[str]], bool],
    expected: str,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> SmallTable:
    """The table in `path` (.xlsx, or CSV in UTF-8/CP932), from its header row on.

    `is_header(cells)` tells the header row; `expected` says what it should hold (for the
    error when no row of the first HEADER_SEARCH_ROWS is one), in the run's language. Blank
    rows are skipped.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise UnsupportedFormatError(
            "legacy .xls workbooks are not read", file=path, hint="save it as .xlsx or CSV"
        )
    if suffix in {".xlsx", ".xlsm"}:
        return _from_workbook(path, is_header=is_header, expected=expected)
    text, used = read_text_file(path, encoding)
    if delimiter is None:
        delimiter = _guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[_Row] = []
    start = 1
    for fields in reader:
        rows.append((start, [f.strip() for f in fields]))
        start = reader.line_num + 1
    table = _table(path, rows, is_header=is_header, expected=expected, joiner=delimiter)
    return SmallTable(path, *table, encoding=used, sheet=None)


def read_text_file(path: Path, encoding: str | None) -> tuple[str, str]:
    """(text without BOM, encoding) of a small text file: UTF-8 (BOM or not) or CP932, detected
    unless `encoding` names one. Raises InputError naming the file (and the line of a bad
    byte) when it cannot be read, is empty or is not that encoding."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("cannot read the file ({reason})", file=path, reason=exc.strerror) from exc
    if not data.strip():
        raise InputError("the file is empty", file=path)
    if encoding is None:
        text, encoding = decode_bytes(data, file=path)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                "not valid {encoding} text",
                file=path,
                row=line,
                hint="check the encoding",
                encoding=encoding,
            ) from exc
    return text.lstrip("\ufeff"), encoding


def _guess_delimiter(text: str) -> str:
    # the header may not be the first line (a title above it): look at the busiest early line
    lines = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    return max(",\t;|", key=lambda d: max((line.count(d) for line in lines), default=0))


def workbook_sheets(path: Path) -> Iterator[tuple[str, list[tuple[int, list[str]]]]]:
    """Each sheet of a workbook as (name, rows), rows numbered as Excel shows them and cells as
    stripped text (empty for an empty cell)."""
    try:
        reader = fastexcel.read_excel(path)
    except fastexcel.FastExcelError as exc:  # corrupt, encrypted or not a zip at all
        raise UnsupportedFormatError(
            "cannot open the workbook: {reason}",
            file=path,
            hint="save it again as .xlsx",
            reason=exc,
        ) from exc
    for name in reader.sheet_names:
        # skip_rows=0 keeps leading empty rows, so that row numbers match Excel's
        frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
        yield (
            name,
            [
                (number, [(c or "").strip() for c in values])
                for number, values in enumerate(frame.iter_rows(), start=1)
            ],
        )


def _from_workbook(
    path: Path, *, is_header: Callable[[list[str]], bool], expected: str
) -> SmallTable:
    for name, rows in workbook_sheets(path):
        if _header_index(rows, is_header) is not None:
            table = _table(path, rows, is_header=is_header, expected=expected, joiner="\t")
            return SmallTable(path, *table, encoding=None, sheet=name)
    raise InputError(
        "no sheet has a header row in its first {rows} rows",
        file=path,
        hint=expected,
        rows=HEADER_SEARCH_ROWS,
    )


def _header_index(rows: list[_Row], is_header: Callable[[list[str]], bool]) -> int | None:
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if is_header(cells):
            return index
    return None


def _table(
    path: Path,
    rows: list[_Row],
    *,
    is_header: Callable[[list[str]], bool],
    expected: str,
    joiner: str,
) -> tuple[list[str], int, pl.DataFrame]:
    found = _header_index(rows, is_header)
    if found is None:
        raise InputError(
            "no header row in the first {rows} rows",
            file=path,
            hint=expected,
            rows=HEADER_SEARCH_ROWS,
        )
    header_row, cells = rows[found]
    # trailing empty header cells are Excel's padding, not columns
    while cells and not cells[-1]:
        cells = cells[:-1]
    header = [c or t("(column {number})", number=i + 1) for i, c in enumerate(cells)]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(
            "the header names {columns} more than once",
            columns=join(repeated),
            file=path,
            row=header_row,
            column=repeated[0],
            hint="keep one column of each name",
        )
    records: dict[str, list[str]] = {name: [] for name in header}
    lines: list[int] = []
    raws: list[str] = []
    for number, fields in rows[found + 1 :]:
        if not any(fields):
            continue
        for position, name in enumerate(header):
            records[name].append(fields[position] if position < len(fields) else "")
        lines.append(number)
        raws.append(joiner.join(fields).rstrip(joiner))
    frame = pl.DataFrame(
        {**records, "source_row": lines, "raw_row": raws},
        schema={**dict.fromkeys(header, pl.String), "source_row": pl.Int64, "raw_row": pl.String},
    )
    return header, header_row, frame
