"""Reader for wide count tables (市町名 × 受理記号) published by prefectures (domain.md §3).

Shapes seen: a CSV saved from Excel (CP932 or UTF-8, with or without BOM), an .xlsx sheet, or
text pasted from a PDF where columns are runs of spaces. Title lines may sit above the header;
a 計 row may close the table and is checked against the column sums, never loaded as data.
The reader checks shape and numbers only; names and labels are resolved by the ingest.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.i18n import N_, t
from zaitaku_cli.readers.encoding import read_text
from zaitaku_cli.readers.labels import normalize_label
from zaitaku_cli.readers.sample import Sample, Verdict
from zaitaku_cli.readers.small_table import workbook_sheets
from zaitaku_cli.readers.wareki import find_as_of
from zaitaku_cli.reference import juri_kigo

__all__ = ["CountTable", "detect", "read_count_table"]

# Tables put a few title lines above the header; further down than this is not a header.
HEADER_SEARCH_ROWS = 30

# 市町名, 市町村名, 市区町村名, 区市町村名 (東京都), 市区町村 … after NFKC, without spaces.
_NAME_HEADER = re.compile(r"^[市区町村郡]{2,}(名|等)?$")
# The check row: 計 alone or a grand total. Subtotals (小計, 〇〇圏域計) are not supported.
_TOTAL_NAMES = frozenset({"計", "合計", "総計", "県計", "全県計", "都計", "道計", "府計"})
_COUNT = re.compile(r"^\d+$")
_NEGATIVE = re.compile(r"^[-−‐ー－]\d+$")
_HEADER_HINT = N_(
    "the header's first cell should be 市町名 (or 市町村名, 市区町村…), then 受理記号"
)
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class CountTable:
    """A parsed count table: long counts plus where they came from in the file."""

    path: Path
    header_row: int  # 1-based line (text) or sheet row (xlsx)
    name_header: str  # the name column's header as printed, e.g. 市町名
    labels: list[str]  # label columns as printed, in file order, e.g. 支援病１
    # one row per (municipality row, label): source_row, name_raw, label_raw, facilities
    counts: pl.DataFrame
    municipality_rows: int
    total_row: int | None  # the 計 row, already checked against the column sums
    title_lines: list[str] = field(default_factory=list)
    as_of: date | None = None  # a date found in the title lines, if any
    encoding: str | None = None  # None for xlsx
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)  # text lines after the 計 row


def read_count_table(path: Path) -> CountTable:
    """Read a count table (CSV, TSV, space-separated text or .xlsx); InputError on bad input."""
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        sheet, rows = _xlsx_rows(path)
        return _parse(path, rows, encoding=None, sheet=sheet)
    if suffix == ".xls":
        raise UnsupportedFormatError(
            "legacy .xls workbooks are not read",
            file=path,
            hint="open it in Excel and save it as .xlsx or CSV",
        )
    if suffix not in _TEXT_SUFFIXES:
        raise UnsupportedFormatError(
            "unknown file type {suffix}",
            file=path,
            suffix=path.suffix or t("(none)"),
            hint="give a .csv, .txt or .xlsx count table",
        )
    text, encoding = _decode(path)
    return _parse(path, _text_rows(text), encoding=encoding, sheet=None)


# -- input shapes → numbered rows of cells ----------------------------------------------------

Row = tuple[int, list[str], bool]  # (1-based row number, cells, split on whitespace)


def _decode(path: Path) -> tuple[str, str]:
    text, encoding = read_text(path)  # UTF-8 (BOM or not) or CP932, else EncodingDetectionError
    # Belt and braces: a BOM left by a plain utf-8 decode would stick to the first cell.
    return text.removeprefix("\ufeff"), encoding


def _split_line(line: str) -> tuple[list[str], bool]:
    """Cells of one text line: comma, else tab, else runs of spaces (text pasted from a PDF)."""
    if "," in line:
        return next(csv.reader([line])), False
    if "\t" in line:
        return line.split("\t"), False
    # str.split() also splits on the full-width space U+3000.
    return line.split(), True


def _text_rows(text: str) -> list[Row]:
    rows = []
    # Only real line ends: str.splitlines would also split on U+2028 or form feeds inside a cell.
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        cells, spaced = _split_line(line)
        rows.append((number, [c.strip() for c in cells], spaced))
    return rows


def _xlsx_rows(path: Path) -> tuple[str, list[Row]]:
    """Rows of the first sheet that has a header row, numbered as Excel shows them."""
    for name, cells in workbook_sheets(path):
        rows: list[Row] = [(number, values, False) for number, values in cells]
        if _find_header(rows) is not None:
            return name, rows
    raise InputError(
        "no sheet has a header row in its first {rows} rows",
        file=path,
        hint=_HEADER_HINT,
        rows=HEADER_SEARCH_ROWS,
    )


# -- parsing ------------------------------------------------------------------------------------


@dataclass
class _Header:
    index: int  # position in the rows list
    name_col: int
    label_cols: list[int]


def _known_labels() -> frozenset[str]:
    return frozenset(juri_kigo()["label"].to_list())


def _is_name_header(cell: str) -> bool:
    return bool(_NAME_HEADER.match(normalize_label(cell)))


def _find_header(rows: list[Row]) -> _Header | None:
    known = _known_labels()
    for index, (_, cells, _) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = [i for i, c in enumerate(cells) if c]
        if len(filled) < 2:
            continue
        name_col = next((i for i in filled if _is_name_header(cells[i])), None)
        if name_col is None:
            # No recognisable name header (blank, 地域…): accept the row if most of its other
            # cells are 受理記号 we know, with the name column just before the first of them.
            first_label = next((i for i in filled if normalize_label(cells[i]) in known), None)
            if first_label is None or first_label == 0:
                continue
            hits = sum(normalize_label(cells[i]) in known for i in filled if i >= first_label)
            if hits * 2 < len([i for i in filled if i >= first_label]):
                continue
            name_col = first_label - 1
        label_cols = list(range(name_col + 1, len(cells)))
        # Excel pads rows to the widest one: trailing empty header cells are not columns.
        while label_cols and not cells[label_cols[-1]]:
            label_cols.pop()
        if label_cols:
            return _Header(index, name_col, label_cols)
    return None


def _parse(path: Path, rows: list[Row], *, encoding: str | None, sheet: str | None) -> CountTable:
    header = _find_header(rows)
    if header is None:
        raise InputError(
            "no header row in the first {rows} lines",
            file=path,
            hint=_HEADER_HINT,
            rows=HEADER_SEARCH_ROWS,
        )
    header_row, header_cells, _ = rows[header.index]
    name_header = header_cells[header.name_col]
    labels = [header_cells[i] for i in header.label_cols]
    _check_labels(path, header_row, header_cells, header.label_cols)
    title_lines = [" ".join(c for c in cells if c) for _, cells, _ in rows[: header.index]]
    title_lines = [t for t in title_lines if t]

    records: list[tuple[int, str, list[int]]] = []
    total: tuple[int, list[int]] | None = None
    notes: list[str] = []
    for number, cells, spaced in rows[header.index + 1 :]:
        if not any(cells):
            continue
        if total is not None:
            # After the 計 row only notes may follow: numbers there would be uncounted data.
            if len(cells) > 1 and all(_COUNT.match(normalize_label(c)) for c in cells[1:] if c):
                raise InputError(
                    "counts after the 計 row",
                    file=path,
                    row=number,
                    hint="move this row above the 計 row, or delete it",
                )
            notes.append(" ".join(c for c in cells if c))
            continue
        name, values = _row_cells(path, number, cells, spaced, header, labels)
        if normalize_label(name) in _TOTAL_NAMES:
            total = (number, values)
        else:
            records.append((number, name, values))

    if not records:
        raise InputError(
            "no municipality rows below the header",
            file=path,
            row=header_row,
            hint="put one row per municipality under the header",
        )
    if total is not None:
        _check_total(path, total, records, labels)

    counts = pl.DataFrame(
        {
            "source_row": [n for n, _, _ in records for _ in labels],
            "name_raw": [name for _, name, _ in records for _ in labels],
            "label_raw": [label for _ in records for label in labels],
            "facilities": [v for _, _, values in records for v in values],
        },
        schema={
            "source_row": pl.Int64,
            "name_raw": pl.Utf8,
            "label_raw": pl.Utf8,
            "facilities": pl.Int64,
        },
    )
    return CountTable(
        path=path,
        header_row=header_row,
        name_header=name_header,
        labels=labels,
        counts=counts,
        municipality_rows=len(records),
        total_row=total[0] if total else None,
        title_lines=title_lines,
        as_of=find_as_of("\n".join(title_lines)) if title_lines else None,
        encoding=encoding,
        sheet=sheet,
        notes=notes,
    )


def _check_labels(path: Path, row: int, cells: list[str], label_cols: list[int]) -> None:
    seen: dict[str, str] = {}
    for position, i in enumerate(label_cols, start=1):
        raw = cells[i]
        if not raw:
            raise InputError(
                "label column {position} has no header",
                file=path,
                position=position,
                row=row,
                hint="write its 受理記号 (e.g. 支援診１) in the header or delete the column",
            )
        key = normalize_label(raw)
        if key in seen:
            raise InputError(
                "{label} appears twice in the header (also as {first})",
                file=path,
                label=raw,
                first=seen[key],
                row=row,
                column=raw,
                hint="keep one column per 受理記号",
            )
        seen[key] = raw


def _row_cells(
    path: Path,
    number: int,
    cells: list[str],
    spaced: bool,
    header: _Header,
    labels: list[str],
) -> tuple[str, list[int]]:
    """Name and counts of one data row, in label order."""
    n = len(labels)
    if spaced and header.name_col == 0:
        # Text pasted from a PDF: the counts are the last n words; a name the PDF spaced out
        # (盛 岡 市) is everything before them.
        if len(cells) < n + 1:
            raise InputError(
                "{values} values for {columns} columns",
                file=path,
                values=len(cells) - 1,
                columns=n,
                row=number,
                hint="every row needs one count per 受理記号 column (0 if none)",
            )
        name, raw_values = "".join(cells[: len(cells) - n]), cells[len(cells) - n :]
    else:
        width = header.label_cols[-1] + 1
        padded = cells + [""] * (width - len(cells))
        extra = [c for c in padded[width:] if c]
        if extra:
            raise InputError(
                "value {value} is beyond the last column ({last})",
                file=path,
                value=extra[0],
                last=labels[-1],
                row=number,
                hint="give that column a 受理記号 header or delete the value",
            )
        name = padded[header.name_col]
        raw_values = [padded[i] for i in header.label_cols]
    if not name:
        raise InputError(
            "counts without a municipality name",
            file=path,
            row=number,
            hint="write the municipality name in the first column",
        )
    return name, [
        _count(path, number, label, raw) for label, raw in zip(labels, raw_values, strict=True)
    ]


# Japan has about 105,000 clinics and hospitals; a cell beyond that is a typo or a pasted code,
# and beyond 2**63 it would not even fit the warehouse's integer column.
_MAX_COUNT = 200_000


def _count(path: Path, row: int, label: str, raw: str) -> int:
    text = normalize_label(raw)
    # "1,234" from a CSV saved with thousands separators (quoted, so one cell).
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    if _COUNT.match(text):
        count = int(text)
        if count > _MAX_COUNT:
            raise InputError(
                "{value} facilities is not a plausible count",
                file=path,
                row=row,
                column=label,
                hint="a count table holds numbers of facilities (at most {most:,})",
                value=raw,
                most=_MAX_COUNT,
            )
        return count
    if _NEGATIVE.match(text):
        raise InputError(
            "negative count {value}",
            file=path,
            row=row,
            column=label,
            hint="counts are ≥ 0",
            value=raw,
        )
    raise InputError(
        "{value} is not a count",
        file=path,
        value=repr(raw) if raw else t("empty cell"),
        row=row,
        column=label,
        hint="write a whole number of facilities (0 if there are none)",
    )


def _check_total(
    path: Path,
    total: tuple[int, list[int]],
    records: list[tuple[int, str, list[int]]],
    labels: list[str],
) -> None:
    row, printed = total
    for position, label in enumerate(labels):
        summed = sum(values[position] for _, _, values in records)
        if summed != printed[position]:
            raise InputError(
                "計 is {printed} but the rows above sum to {summed}",
                file=path,
                printed=printed[position],
                summed=summed,
                row=row,
                column=label,
                hint="correct the 計 row or the counts above it",
            )


# -- recognising a file by its content (readers.detect) ------------------------------------------


def detect(sample: Sample) -> Verdict:
    """A count table: a CSV/text file or a sheet with a row of 市町名 (or 市町村名, …) followed
    by columns of which at least half are 受理記号 zaitaku knows, in its first 30 rows."""
    if sample.is_ole:
        return Verdict(False, t("a legacy .xls workbook (Excel 97-2003): save it as .xlsx"))
    if sample.is_workbook:
        try:
            sheets = sample.sheets
        except InputError as exc:
            return Verdict(False, exc.message)
        for sheet in sheets:
            rows: list[Row] = [
                (number, [(c or "").strip() for c in cells], False)
                for number, cells in enumerate(sheet.rows, start=1)
            ]
            verdict = _table_header_verdict(rows)
            if verdict.matched:
                return Verdict(
                    True, t("sheet {sheet}: {reason}", sheet=sheet.name, reason=verdict.reason)
                )
        return Verdict(
            False,
            t(
                "no sheet has a row of 市町名 followed by 受理記号 columns in its first "
                "{rows} rows",
                rows=HEADER_SEARCH_ROWS,
            ),
        )
    if sample.zip_names is not None:
        return Verdict(
            False, t("a zip archive (count tables are single .csv, .txt or .xlsx files)")
        )
    text = sample.text
    if isinstance(text, str):
        return Verdict(False, text)
    return _table_header_verdict(_text_rows("\n".join(text[0])))


def _table_header_verdict(rows: list[Row]) -> Verdict:
    known = _known_labels()
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        header = _find_header(rows[index : index + 1])
        if header is None:
            continue
        cells = rows[index][1]
        labels = [normalize_label(cells[i]) for i in header.label_cols if cells[i]]
        hits = sum(label in known for label in labels)
        # A claims header has 市町村名 too, followed by 診療年月…: its columns are not 受理記号.
        if hits and hits * 2 >= len(labels):
            return Verdict(
                True,
                t(
                    "header row {row}: a name column and {labels} 受理記号",
                    row=rows[index][0],
                    labels=len(labels),
                ),
            )
    return Verdict(
        False,
        t(
            "no row of 市町名 followed by 受理記号 columns in its first {rows} rows",
            rows=HEADER_SEARCH_ROWS,
        ),
    )
