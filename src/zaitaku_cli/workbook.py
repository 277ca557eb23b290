"""The Excel workbook of an output set (`--xlsx`): what analysts open as it is.

Sheets, in order:
- 説明: the coverage caveat, the suppression rule, the inputs with their as-of dates and sha256
  (from the manifest), warnings, what every column means and the Japanese names of the keys;
- 地域別一覧: one row per area, one column per indicator (or category) × basis × unit, the shape
  of the ministry's 地域別データ集 — the latest period, all ages, each area's latest list;
- one sheet per output (届出施設数, レセプト指標, …) in the long shape of the CSV, with Japanese
  headers.

Codes and periods are written as text (03201 keeps its zero, 2023-04 stays a period), numbers as
numbers, suppressed cells as the text `-`, dates as dates. The sheets are built from whatever
tables the set holds (`SheetSource`), so a new output joins the workbook without code here;
its headers come from reference/data/labels.csv (an unlabelled column keeps its English name).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException
from xlsxwriter.worksheet import Worksheet

from zaitaku_cli.choices import PERIOD_JA, PLAN_JA
from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.export import SUPPRESSED_MARK
from zaitaku_cli.labels import (
    column_label,
    output_kind,
    output_label,
    value_kinds,
    value_label,
    value_order,
)
from zaitaku_cli.output_metadata import COVERAGE_NOTE_JA, SUPPRESSION_OFF_JA, SUPPRESSION_RULE_JA
from zaitaku_cli.reference import categories, indicators, labels

# Excel's limits: rows per sheet (one is the header) and columns per sheet.
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})

_BLOCK_ROWS = 50_000

ABOUT_SHEET = "説明"
WIDE_SHEET = "地域別一覧"

# How the wide sheet treats the columns of an output (a column not named here: a number is a
# value, text a column dimension, anything else is left to the long sheet).
_AREA = ("area_code", "area_name")
_LATEST = ("period",)  # one period for all areas, the latest, so that areas compare
_LATEST_PER_AREA = ("as_of",)  # bureau lists are dated per prefecture: each area's latest
_TOTALS = {"age_group": "total"}
_ATTRIBUTES = frozenset(
    {
        "area_level",
        "pref_code",
        "indicator_ja",
        "category_ja",
        "measure_ja",
        "source_file",
        "members_covered",
        "members_total",
        "area_coverage",
        "coverage",
        "suppression",
        "suppressed",
    }
)


class WorkbookError(ZaitakuError):
    """The workbook could not be written."""


@dataclass(frozen=True)
class SheetSource:
    """One output of a set as the workbook receives it."""

    stem: str  # the file stem, e.g. claims_by_municipality_monthly
    table: pa.Table
    suppress_flags: Mapping[str, str] = field(default_factory=dict)  # value column → flag column
    metadata: Mapping[str, Any] = field(default_factory=dict)  # as written into the Parquet

    @property
    def kind(self) -> str:
        return output_kind(self.stem)


def write_workbook(
    target: Path, sources: Sequence[SheetSource], manifest: Mapping[str, Any]
) -> Path:
    """Write the workbook of `sources` to `target`; `manifest` supplies the 説明 sheet.

    Written in xlsxwriter's constant-memory mode (row by row, one row in memory per sheet), so a
    large set costs the time of its cells, not their memory.
    """
    book = xlsxwriter.Workbook(
        str(target),
        {
            "constant_memory": True,
            # Cell text is data: never a formula (=…), a link, or a number (03201).
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    styles = _Styles(book)
    try:
        _write_about(book, styles, sources, manifest)
        _write_wide(book, styles, sources)
        used: set[str] = {ABOUT_SHEET, WIDE_SHEET}
        for source in sources:
            _write_long(book, styles, source, used)
        book.close()
    except XlsxWriterException as exc:
        raise WorkbookError(
            "cannot write the workbook {path}: {reason}", path=target, reason=exc
        ) from exc
    return target


# -- cells -----------------------------------------------------------------------------------
class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.wrap_header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.caption = book.add_format({"italic": True})
        self.label = book.add_format({"bold": True, "valign": "top"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.warning = book.add_format({"bold": True, "font_color": "#C00000", "text_wrap": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.suppressed = book.add_format({"align": "right"})


def _cell_writer(
    ws: Worksheet, dtype: pa.DataType, styles: _Styles
) -> Callable[[int, int, Any], None]:
    """A writer for one column's cells, chosen once per column, not per cell."""
    if pa.types.is_boolean(dtype):
        return lambda r, c, v: ws.write_boolean(r, c, v) if v is not None else None
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):

        def number(r: int, c: int, v: Any) -> None:
            if v is not None and not (isinstance(v, float) and not math.isfinite(v)):
                ws.write_number(r, c, v)

        return number
    if pa.types.is_date(dtype) or pa.types.is_timestamp(dtype):
        return lambda r, c, v: ws.write_datetime(r, c, v, styles.date) if v is not None else None
    # Text, codes and periods: always a string cell, whatever it looks like.
    return lambda r, c, v: ws.write_string(r, c, str(v)) if v is not None else None


def _set_widths(ws: Worksheet, headers: Sequence[str], samples: Sequence[Sequence[Any]]) -> None:
    for c, header in enumerate(headers):
        longest = max([_text_width(header), *(_text_width(v) for v in samples[c])])
        ws.set_column(c, c, min(max(longest + 2, 8), 50))


def _text_width(value: Any) -> int:
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    # Full-width characters take two columns.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name(wanted: str, used: set[str]) -> str:
    base = wanted.translate(_SHEET_NAME_FORBIDDEN).strip("'")[:_SHEET_NAME_MAX] or "sheet"
    name, n = base, 1
    while name.casefold() in {u.casefold() for u in used}:
        n += 1
        suffix = f" ({n})"
        name = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
    used.add(name)
    return name


# -- long sheets -----------------------------------------------------------------------------
def _translated(frame: pl.DataFrame) -> pl.DataFrame:
    """Small vocabularies (basis, age group, level, source…) in Japanese; indicator and category
    keep their keys, their Japanese names being the _ja column beside them."""
    swaps = []
    for column in frame.columns:
        if column in value_kinds() and column not in {"indicator", "category"}:
            if frame.schema[column] != pl.String:
                continue
            names = {v: value_label(column, v) or v for v in frame[column].drop_nulls().unique()}
            swaps.append(pl.col(column).replace_strict(names, default=None, return_dtype=pl.String))
    return frame.with_columns(swaps) if swaps else frame


def _write_long(
    book: xlsxwriter.Workbook, styles: _Styles, source: SheetSource, used: set[str]
) -> None:
    flags = {
        value: flag
        for value, flag in source.suppress_flags.items()
        if value in source.table.column_names and flag in source.table.column_names
    }
    # The per-unit flags are shown by the '-' in the cell itself.
    columns = [c for c in source.table.column_names if c not in set(flags.values())]
    frame = pl.from_arrow(source.table)
    assert isinstance(frame, pl.DataFrame)
    shown = _translated(frame.select(columns)).to_arrow()
    marks = {columns.index(v): f for v, f in flags.items()}
    headers = [column_label(c, source.kind) or c for c in columns]
    title = output_label(source.kind) or source.stem
    samples = [shown.column(c).slice(0, 200).to_pylist() for c in columns]
    per_sheet = MAX_SHEET_ROWS - 1
    for start in range(0, max(source.table.num_rows, 1), per_sheet):
        ws = book.add_worksheet(_sheet_name(title, used))
        ws.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        _set_widths(ws, headers, samples)
        for c, header in enumerate(headers):
            ws.write_string(0, c, header, styles.header)
        ws.freeze_panes(1, 0)
        end = min(start + per_sheet, source.table.num_rows)
        writers = [_cell_writer(ws, shown.schema.field(c).type, styles) for c in columns]
        # Python values a block of rows at a time: memory stays bounded for any table.
        for block in range(start, end, _BLOCK_ROWS):
            n = min(_BLOCK_ROWS, end - block)
            values = [shown.column(c).slice(block, n).to_pylist() for c in columns]
            hidden = {
                c: source.table.column(f).slice(block, n).to_pylist() for c, f in marks.items()
            }
            for i in range(n):
                r = block - start + i + 1
                for c, write in enumerate(writers):
                    if c in hidden and hidden[c][i]:
                        ws.write_string(r, c, SUPPRESSED_MARK, styles.suppressed)
                    else:
                        write(r, c, values[c][i])
        ws.autofilter(0, 0, max(end - start, 1), len(columns) - 1)


# -- the wide sheet --------------------------------------------------------------------------
@dataclass
class _WideBlock:
    """One output pivoted to one row per area: column keys, their header labels, the cells."""

    label: str
    caption: str
    header_rows: list[list[str]]  # per column: the labels of its dimensions, then its unit
    cells: dict[str, list[tuple[float | None, bool]]]  # area_code → per column (value, suppressed)
    names: dict[str, str]  # area_code → area_name


def _wide_roles(frame: pl.DataFrame, source: SheetSource) -> tuple[list[str], list[str]]:
    """(dimension columns, value columns) of an output for the wide sheet."""
    flags = set(source.suppress_flags.values())
    dims, units = [], []
    skipped = {*_AREA, *_LATEST, *_LATEST_PER_AREA, *_TOTALS, *_ATTRIBUTES, *flags}
    for column, dtype in frame.schema.items():
        if column in skipped:
            continue
        if dtype.is_numeric():
            units.append(column)
        elif dtype == pl.String:
            dims.append(column)
    return dims, units


# Outputs the wide sheet leaves to their long sheets: rates, population and projections have
# too many denominators and years for one row per area. Any other output (the counts, as in the
# ministry's 地域別データ集, and outputs still to come) joins the wide sheet.
_LONG_ONLY = frozenset({"rates", "population", "projection"})


def _wide_block(source: SheetSource) -> _WideBlock | None:
    if source.kind in _LONG_ONLY:
        return None
    frame = pl.from_arrow(source.table)
    assert isinstance(frame, pl.DataFrame)
    if "area_code" not in frame.columns or frame.is_empty():
        return None
    label = output_label(source.kind) or source.stem
    frame = frame.filter(pl.col("area_code").is_not_null())
    dims, units = _wide_roles(frame, source)
    if not units:
        return None
    notes = []
    for column, total in _TOTALS.items():
        if column in frame.columns:
            frame = frame.filter(pl.col(column) == total)
            notes.append(value_label(column, total) or total)
    for column in _LATEST:
        if column in frame.columns and frame[column].drop_nulls().len():
            latest = str(frame[column].drop_nulls().max())
            frame = frame.filter(pl.col(column).cast(pl.String) == latest)
            notes.append(f"{column_label(column) or column} {latest}")
    for column in _LATEST_PER_AREA:
        if column in frame.columns:
            # An undated source (a count table without a date) is kept: null counts as its date.
            newest = pl.col(column).max().over(["area_code", *dims])
            frame = frame.filter(pl.col(column).eq_missing(newest))
            dates = frame[column].drop_nulls().unique().sort()
            when = dates[0].isoformat() if dates.len() == 1 else "地域ごとに最新"
            if frame[column].null_count():
                when += "（日付のない出典を含む）"
            notes.append(f"{column_label(column) or column} {when}")
    # A dimension with a single value is said once in the caption, not in every header; a
    # column with one value per area (pref_code) describes the area and is no dimension.
    varying = []
    for column in dims:
        distinct = frame[column].drop_nulls().unique()
        if distinct.len() == 1:
            notes.append(_value_text(column, distinct[0]))
        elif distinct.len() > 1 and not _per_area(frame, column):
            varying.append(column)
    if frame.select(pl.struct(["area_code", *varying]).is_duplicated().any()).item():
        # Rows that would fight for one cell: this output has a dimension the wide sheet does
        # not know how to choose, so it is left to its long sheet rather than guessed.
        return None
    orders = {column: value_order(column) for column in varying}
    keys = frame.select(varying).unique().to_dicts() if varying else [{}]
    keys.sort(
        key=lambda k: tuple((orders[c].get(k[c], len(orders[c])), k[c] or "") for c in varying)
    )
    columns = [(key, unit) for key in keys for unit in units]
    if 2 + len(columns) > MAX_SHEET_COLUMNS:
        return None
    index = {(tuple(key[c] for c in varying), unit): i for i, (key, unit) in enumerate(columns)}
    header_rows = [
        [
            *(_value_text(c, key[c], bare=True) for c in varying),
            column_label(unit, source.kind) or unit,
        ]
        for key, unit in columns
    ]
    names: dict[str, str] = {}
    cells: dict[str, list[tuple[float | None, bool]]] = {}
    flag_of = source.suppress_flags
    for row in frame.iter_rows(named=True):
        code = row["area_code"]
        names.setdefault(code, row.get("area_name") or "")
        line = cells.setdefault(code, [(None, False)] * len(columns))
        dim_key = tuple(row[c] for c in varying)
        for unit in units:
            flag = flag_of.get(unit)
            hidden = bool(row.get(flag)) if flag else False
            line[index[(dim_key, unit)]] = (row[unit], hidden)
    return _WideBlock(
        label=label,
        caption=f"{label}: " + "・".join(notes) if notes else label,
        header_rows=header_rows,
        cells=cells,
        names=names,
    )


def _per_area(frame: pl.DataFrame, column: str) -> bool:
    """True when `column` holds at most one value in each area (an attribute of the area)."""
    counts = frame.group_by("area_code").agg(pl.col(column).n_unique().alias("n"))
    return bool(counts["n"].max() <= 1)  # type: ignore[operator]


def _value_text(column: str, value: Any, *, bare: bool = False) -> str:
    text = value_label(column, str(value)) or str(value)
    # The value is shown by its Japanese name: head it as the _ja column is headed (指標).
    name = column_label(f"{column}_ja") or column_label(column) or column
    return text if bare else f"{name} {text}"


def _write_wide(book: xlsxwriter.Workbook, styles: _Styles, sources: Sequence[SheetSource]) -> None:
    blocks = [b for b in (_wide_block(s) for s in sources) if b is not None]
    ws = book.add_worksheet(WIDE_SHEET)
    ws.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    if not blocks:
        ws.write_string(0, 0, "一覧にできる出力がありません（各シートを見てください）。")
        return
    depth = max(len(column) for b in blocks for column in b.header_rows)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2 + sum(len(b.header_rows) for b in blocks), 12)
    ws.write_string(0, 0, "　".join(b.caption for b in blocks), styles.caption)
    # Header rows: the output, its dimensions (top-aligned), the unit in the last row. Built
    # whole first: in constant-memory mode rows must be written in order.
    top = 1
    grid = [[""] * 2 for _ in range(depth + 1)]
    grid[0][0] = column_label("area_code") or "area_code"
    grid[0][1] = column_label("area_name") or "area_name"
    for block in blocks:
        for column in block.header_rows:
            *dims, unit = column
            grid[0].append(block.label)
            for d in range(depth - 1):
                grid[1 + d].append(dims[d] if d < len(dims) else "")
            grid[depth].append(unit)
    for offset, texts in enumerate(grid):
        for c, text in enumerate(texts):
            ws.write_string(top + offset, c, text, styles.wrap_header)
    first = top + depth + 1
    ws.freeze_panes(first, 2)
    ws.set_landscape()
    ws.repeat_rows(top, first - 1)  # printed pages repeat the headers and the area columns
    ws.repeat_columns(0, 1)
    codes = sorted({code for b in blocks for code in b.cells})
    for r, code in enumerate(codes, start=first):
        name = next((b.names[code] for b in blocks if code in b.names), "")
        ws.write_string(r, 0, code)
        ws.write_string(r, 1, name)
        c = 2
        for block in blocks:
            line = block.cells.get(code)
            for i in range(len(block.header_rows)):
                if line is not None:
                    value, hidden = line[i]
                    if hidden:
                        ws.write_string(r, c, SUPPRESSED_MARK, styles.suppressed)
                    elif value is not None:
                        ws.write_number(r, c, value)
                c += 1


# -- the 説明 sheet --------------------------------------------------------------------------
def _write_about(
    book: xlsxwriter.Workbook,
    styles: _Styles,
    sources: Sequence[SheetSource],
    manifest: Mapping[str, Any],
) -> None:
    ws = book.add_worksheet(ABOUT_SHEET)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # printed: as wide as one page, as long as it takes
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, _ABOUT_TEXT_WIDTH)
    ws.set_column(2, 7, 16)
    ws.set_column(8, 8, 66)  # sha256
    r = 0

    def line(label: str, value: Any, fmt: Any = None) -> None:
        nonlocal r
        if value is not None and value != "":
            _fit_row(ws, r, str(value))
            ws.write_string(r, 1, str(value), fmt or styles.wrap)
        ws.write_string(r, 0, label, styles.label)
        r += 1

    ws.write_string(r, 0, f"zaitaku 出力 {manifest.get('set', '')}", styles.title)
    r += 2
    suppression = str(manifest.get("suppression", ""))
    line("対象範囲（レセプト）", COVERAGE_NOTE_JA, styles.warning)
    if manifest.get("coverage"):
        line("", manifest["coverage"])
    line(
        "秘匿",
        SUPPRESSION_RULE_JA if suppression.startswith("ndb") else SUPPRESSION_OFF_JA,
        styles.wrap if suppression.startswith("ndb") else styles.warning,
    )
    r += 1
    level = manifest.get("level")
    line("地域の単位", value_label("area_level", str(level)) if level else None)
    for key, label in (
        ("plan", "医療計画（二次医療圏）"),
        ("period", "期間の単位"),
        ("as_of", "名簿の基準日"),
        ("generated_at", "作成日時"),
        ("zaitaku_version", "zaitaku のバージョン"),
        ("warehouse", "ウェアハウス"),
    ):
        if key in manifest:
            line(label, _about_value(key, manifest[key]))
    r += 1

    inputs = list(manifest.get("inputs") or [])
    ws.write_string(r, 0, "入力ファイル", styles.label)
    r += 1
    input_columns = [
        ("kind", "種類"),
        ("file_name", "ファイル"),
        ("as_of", "基準日"),
        ("pref_codes", "都道府県"),
        ("rows_read", "読込行数"),
        ("rows_loaded", "取込行数"),
        ("rows_rejected", "除外行数"),
        ("ingested_at", "取込日時"),
        ("sha256", "sha256"),
    ]
    for c, (_key, header) in enumerate(input_columns):
        ws.write_string(r, c, header, styles.header)
    r += 1
    for entry in inputs:
        for c, (key, _header) in enumerate(input_columns):
            _write_any(ws, r, c, entry.get(key), styles)
        r += 1
    if not inputs:
        ws.write_string(r, 0, "（なし）")
        r += 1
    r += 1

    warnings = list(manifest.get("warnings") or [])
    if warnings:
        ws.write_string(r, 0, "警告", styles.label)
        r += 1
        for warning in warnings:
            _fit_row(ws, r, str(warning))
            ws.write_string(r, 1, str(warning), styles.wrap)
            r += 1
        r += 1

    ws.write_string(r, 0, "出力ごとの注記", styles.label)
    r += 1
    for source in sources:
        for key, value in source.metadata.items():
            text = f"{key}: {value}"
            _fit_row(ws, r, text)
            ws.write_string(r, 0, output_label(source.kind) or source.stem, styles.wrap)
            ws.write_string(r, 1, text, styles.wrap)
            r += 1
    r += 1

    ws.write_string(r, 0, "列の説明", styles.label)
    r += 1
    for c, header in enumerate(("シート", "見出し", "列（CSV・Parquet）", "説明")):
        ws.write_string(r, c, header, styles.header)
    r += 1
    notes = {
        (row["key"], row["scope"] or ""): row["note"] or ""
        for row in labels().filter(pl.col("kind") == "column").iter_rows(named=True)
    }
    for source in sources:
        sheet = output_label(source.kind) or source.stem
        for column in source.table.column_names:
            ws.write_string(r, 0, sheet)
            ws.write_string(r, 1, column_label(column, source.kind) or column)
            ws.write_string(r, 2, column)
            note = notes.get((column, source.kind)) or notes.get((column, ""), "")
            if note:
                ws.write_string(r, 3, note)
            r += 1
    r += 1

    ws.write_string(r, 0, "用語", styles.label)
    r += 1
    for c, header in enumerate(("種類", "キー", "日本語")):
        ws.write_string(r, c, header, styles.header)
    r += 1
    for kind, key, ja in _glossary():
        ws.write_string(r, 0, column_label(kind) or kind)
        ws.write_string(r, 1, key)
        ws.write_string(r, 2, ja)
        r += 1


_ABOUT_TEXT_WIDTH = 60
_ROW_HEIGHT = 15


def _fit_row(ws: Worksheet, r: int, text: str) -> None:
    """A row tall enough for `text` wrapped in the 説明 sheet's text column: neither Excel nor
    LibreOffice grows a row for wrapped text that was written without a height."""
    lines = max(1, math.ceil(_text_width(text) / (_ABOUT_TEXT_WIDTH - 2)))
    if lines > 1:
        ws.set_row(r, _ROW_HEIGHT * lines)


def _about_value(key: str, value: Any) -> str:
    if key == "plan":
        return PLAN_JA.get(str(value), str(value))
    if key == "period":
        return PERIOD_JA.get(str(value), str(value))
    if key == "as_of" and str(value) == "latest per prefecture":
        return "都道府県ごとに最新の名簿"
    return str(value)


def _write_any(ws: Worksheet, r: int, c: int, value: Any, styles: _Styles) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    elif isinstance(value, datetime):
        ws.write_string(r, c, value.isoformat(sep=" ", timespec="seconds"))
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, styles.date)
    elif isinstance(value, list | tuple):
        ws.write_string(r, c, ", ".join(str(v) for v in value))
    else:
        ws.write_string(r, c, str(value))


def _glossary() -> list[tuple[str, str, str]]:
    rows = [("indicator", k, n) for k, n in indicators().select("indicator", "name_ja").iter_rows()]
    rows += [("category", k, n) for k, n in categories().select("category", "name_ja").iter_rows()]
    rows += [
        (r["kind"], r["key"], r["ja"])
        for r in labels().filter(~pl.col("kind").is_in(["column", "output"])).iter_rows(named=True)
    ]
    return rows
