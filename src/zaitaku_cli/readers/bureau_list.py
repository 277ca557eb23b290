"""Reader of the Regional Bureau facility lists (届出受理医療機関名簿): .xlsx, .zip of .xlsx, CSV.

Returns every data row as text under snake_case names (bureau_list_columns.csv maps the 24
Japanese headers), with the file and the sheet row each came from, and the list's as-of date
from the title row. Validation, 医科 filtering and typing happen in ingest_facilities; this
module only finds the table in whatever shape the analyst has it, quickly: calamine (fastexcel)
reads the sheet, polars does the rest column-wise.
"""

from __future__ import annotations

import csv
import ctypes
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import fastexcel
import polars as pl

from zaitaku_cli.errors import InputError, UnsupportedFormatError
from zaitaku_cli.i18n import N_, join, t
from zaitaku_cli.pref_codes import PREF_CODES
from zaitaku_cli.readers.encoding import decode_bytes
from zaitaku_cli.readers.sample import Sample, Verdict, read_zip_member
from zaitaku_cli.readers.wareki import find_as_of

__all__ = [
    "HEADER_KEYS",
    "HEADER_SEARCH_ROWS",
    "BureauColumn",
    "BureauList",
    "SheetInfo",
    "bureau_columns",
    "detect",
    "facility_code10_expr",
    "facility_codes_in",
    "facility_no_expr",
    "pref_code_expr",
    "read_bureau_list",
]

COLUMNS_FILE = Path(__file__).with_name("bureau_list_columns.csv")

# A row holding these three headers is the header row, wherever it sits in the first rows.
HEADER_KEYS = ("都道府県コード", "医療機関番号", "受理記号")
HEADER_SEARCH_ROWS = 20

_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_CSV_SUFFIXES = (".csv", ".txt")
# Old binary Excel (BIFF/OLE2) starts with this signature whatever the file is called.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_UTF8_FLAG = 0x800


@dataclass(frozen=True)
class BureauColumn:
    header: str  # exact Japanese header, e.g. 医療機関所在地（住所）
    name: str  # snake_case name used in code and in the warehouse
    required: bool


@cache
def bureau_columns() -> tuple[BureauColumn, ...]:
    """The 24 columns of a bureau list, in sheet order (from bureau_list_columns.csv)."""
    table = pl.read_csv(COLUMNS_FILE, infer_schema=False)
    return tuple(
        BureauColumn(h, n, r == "true")
        for h, n, r in table.select("header", "name", "required").iter_rows()
    )


def _header_key(text: str | None) -> str:
    # Headers are matched after NFKC and without spaces: a re-typed （住所） or a stray space in
    # a header cell should not make the file unreadable.
    if text is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", text).split())


@cache
def _header_index() -> dict[str, BureauColumn]:
    return {_header_key(c.header): c for c in bureau_columns()}


@dataclass(frozen=True)
class SheetInfo:
    """Where one table came from: file (zip member as 'archive.zip/member.xlsx'), sheet, rows."""

    source_file: str
    sheet: str | None
    header_row: int  # 1-based, as Excel shows it
    rows: int  # non-empty data rows
    title: str | None  # text above the header row
    title_as_of: date | None


@dataclass
class BureauList:
    """All data rows of one input file (every sheet / zip member concatenated).

    `frame` has the snake_case columns of bureau_columns() as text (stripped, empty → null),
    plus `source_file` (name of the file or zip member) and `source_row` (1-based sheet row or
    CSV line) so that any message can point at the cell.
    """

    path: Path
    as_of: date | None
    as_of_source: str  # 'title' | 'option' | 'none'
    frame: pl.DataFrame
    sheets: list[SheetInfo]
    warnings: list[str] = field(default_factory=list)

    @property
    def header_rows(self) -> dict[str, int]:
        return {
            s.source_file if s.sheet is None else f"{s.source_file}:{s.sheet}": s.header_row
            for s in self.sheets
        }


# -- key normalisation (shared with ingest_facilities) -----------------------------------------


def pref_code_expr(col: str = "pref_code") -> pl.Expr:
    """都道府県コード as '01'…'47' text; one digit is padded (Excel drops the zero of '03').

    Anything else is kept as printed, so the validator can show it.
    """
    text = pl.col(col).str.normalize("NFKC").str.strip_chars()
    return pl.when(text.str.contains(r"^\d{1,2}$")).then(text.str.zfill(2)).otherwise(text)


def facility_no_expr(col: str = "facility_no") -> pl.Expr:
    """医療機関番号 as 7-digit text, or null when it is not 1–7 digits.

    Shorter numbers are zero-padded: a list re-saved through Excel loses leading zeros.
    """
    text = pl.col(col).str.normalize("NFKC").str.replace_all(r"\s", "")
    # 0 is no facility's number: it is what an empty formula cell or a blanked key reads as.
    valid = text.str.contains(r"^\d{1,7}$") & ~text.str.contains(r"^0+$")
    return pl.when(valid).then(text.str.zfill(7)).otherwise(None)


def facility_code10_expr(pref: str = "pref_code", facility_no: str = "facility_no") -> pl.Expr:
    """The 10-digit 医療機関コード of claims: prefecture + 点数表 '1' (医科) + 医療機関番号."""
    return pl.concat_str([pl.col(pref), pl.lit("1"), pl.col(facility_no)])


# -- locating the table -------------------------------------------------------------------------


def _locate_header(
    probe: Sequence[Sequence[str | None]], source: str
) -> tuple[int, dict[int, BureauColumn]]:
    """(0-based header row, {column index: column}) from the first rows of a sheet.

    The header is the first row naming all of HEADER_KEYS. If none does, the row naming the
    most known columns is reported with what it lacks, because that is usually an edited header.
    """
    index = _header_index()
    keys = {index[_header_key(k)].name for k in HEADER_KEYS}
    best: tuple[int, int, dict[int, BureauColumn]] | None = None
    for r, cells in enumerate(probe[:HEADER_SEARCH_ROWS]):
        found: dict[int, BureauColumn] = {}
        seen: set[str] = set()
        for c, cell in enumerate(cells):
            col = index.get(_header_key(cell))
            if col is not None and col.name not in seen:
                found[c] = col
                seen.add(col.name)
        if keys <= seen:
            _check_required(found, source, r)
            _check_unique(cells, index, source, r)
            return r, found
        if len(found) >= 3 and (best is None or len(found) > best[1]):
            best = (r, len(found), found)
    if best is not None:
        _check_required(best[2], source, best[0])
    raise InputError(
        "no header row in the first {rows} rows: expected a row with the columns {columns}",
        file=source,
        rows=HEADER_SEARCH_ROWS,
        columns=join(HEADER_KEYS),
        hint="is this a 届出受理医療機関名簿 (医科) from a 地方厚生局? Export it again from the "
        "bureau's site without editing the header",
    )


def _check_unique(
    cells: Sequence[str | None], index: dict[str, BureauColumn], source: str, row: int
) -> None:
    """A column named twice means the header was edited: which of the two holds the data (and
    whether the columns after it are shifted) cannot be told, so nothing is guessed."""
    places: dict[str, list[int]] = {}
    for c, cell in enumerate(cells):
        col = index.get(_header_key(cell))
        if col is not None:
            places.setdefault(col.header, []).append(c)
    twice = {header: cols for header, cols in places.items() if len(cols) > 1}
    if twice:
        header, cols = next(iter(twice.items()))
        letters = t(" and ").join(_column_letter(c) for c in cols)
        raise InputError(
            "the header names column {header} more than once (columns {letters})",
            file=source,
            header=header,
            letters=letters,
            row=row + 1,
            column=header,
            hint="restore the header as published: each of the 24 columns once, in order",
        )


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel shows it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_required(found: dict[int, BureauColumn], source: str, row: int) -> None:
    have = {c.name for c in found.values()}
    missing = [c.header for c in bureau_columns() if c.required and c.name not in have]
    if missing:
        raise InputError(
            "missing column(s) {columns} in the header row",
            file=source,
            columns=join(missing),
            row=row + 1,
            hint="restore the original column names of the 届出受理医療機関名簿 "
            "(all 24 columns as published by the bureau)",
        )


def _title_text(rows_above: Sequence[Sequence[str | None]]) -> str | None:
    parts = [cell.strip() for cells in rows_above for cell in cells if cell and cell.strip()]
    return " ".join(parts) if parts else None


def _cell(expr: pl.Expr) -> pl.Expr:
    """A cell as text: stripped (full-width spaces included), empty → null."""
    text = expr.str.strip_chars()
    return pl.when(text != "").then(text)


def _table(
    grid: pl.DataFrame,
    first_row: int,
    header: int,
    mapping: dict[int, BureauColumn],
    source: str,
) -> pl.DataFrame:
    """Data rows of `grid` (text columns in sheet order) under their snake_case names.

    `first_row` is the 1-based sheet row of grid row 0; `header` the grid index of the header.
    Rows with every cell empty are dropped (trailing blank rows, spacer rows). One lazy query,
    so a 200,000-row sheet is not copied once per step.
    """
    cols = grid.columns
    found = {col.name: cols[i] for i, col in mapping.items() if i < len(cols)}
    cells = [
        _cell(pl.col(found[c.name])).alias(c.name)
        if c.name in found
        else pl.lit(None, pl.String).alias(c.name)
        for c in bureau_columns()
    ]
    return (
        grid.lazy()
        .slice(header + 1)
        .with_row_index("source_row", offset=first_row + header + 1)
        .select(
            pl.lit(source).alias("source_file"),
            pl.col("source_row").cast(pl.Int64),
            *cells,
        )
        .filter(pl.any_horizontal(pl.col(name).is_not_null() for name in found))
        .collect()
    )


# -- formats ------------------------------------------------------------------------------------


def _read_xlsx(data: bytes | Path, source: str) -> Iterator[tuple[pl.DataFrame, SheetInfo]]:
    try:
        reader = fastexcel.read_excel(data if isinstance(data, bytes) else str(data))
        names = reader.sheet_names
    except fastexcel.FastExcelError as exc:
        raise _unreadable_workbook(data, source, exc) from exc
    found: list[tuple[pl.DataFrame, SheetInfo]] = []
    first_error: InputError | None = None
    for idx, name in enumerate(names):
        try:
            # header_row=None with skip_rows=0 keeps leading empty rows, so grid row i is sheet
            # row i + 1 — the row numbers analysts see in Excel.
            # eager: calamine hands over one Arrow batch (no second conversion pass, lower peak).
            batch = reader.load_sheet(
                idx, header_row=None, skip_rows=0, dtypes="string", eager=True
            )
            grid = pl.DataFrame(pl.from_arrow(batch))
            del batch
        except fastexcel.FastExcelError as exc:
            raise InputError(
                "cannot read sheet {sheet!r} ({reason})",
                file=source,
                sheet=name,
                reason=exc,
                hint="open it in Excel and save it again as .xlsx",
            ) from exc
        if grid.height == 0:
            continue
        probe = grid.head(HEADER_SEARCH_ROWS).rows()
        label = source if len(names) == 1 else t("{file} (sheet {sheet})", file=source, sheet=name)
        try:
            header, mapping = _locate_header(probe, label)
        except InputError as exc:
            # A workbook may carry a notes sheet; only fail if no sheet holds the list.
            first_error = first_error or exc
            continue
        title = _title_text(probe[:header])
        frame = _table(grid, 1, header, mapping, source)
        del grid
        found.append(
            (frame, SheetInfo(source, name, header + 1, frame.height, title, find_as_of(title)))
        )
    del reader
    _release_freed_memory()
    if not found:
        if first_error is not None:
            raise first_error
        raise InputError("the workbook has no data", file=source)
    yield from found


def _unreadable_workbook(data: bytes | Path, source: str, exc: Exception) -> InputError:
    """Say what the file is, when it is not a workbook, instead of the reader's internals."""
    if isinstance(data, Path):
        with data.open("rb") as fh:
            head = fh.read(512)
    else:
        head = data[:512]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        what = N_("the file is empty [{detail}]")
    elif stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        what = N_(
            "this is a web page (HTML), not an .xlsx workbook: it was saved with an .xlsx name "
            "[{detail}]"
        )
    elif head.startswith(b"PK\x03\x04"):
        what = N_("the workbook is damaged or incomplete (a truncated download?) [{detail}]")
    else:
        what = N_("this is not an .xlsx workbook (its bytes are not a zip archive) [{detail}]")
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(
        what,
        file=source,
        detail=detail,
        hint="download the list again, or open it in Excel and save it as .xlsx (Excel ブック)",
    )


def _release_freed_memory() -> None:
    """Hand the memory calamine freed back to the OS.

    calamine holds every cell of the sheet at once (~300 MB for 200,000 rows) and frees it
    through the C allocator, which keeps it in its arenas; the rest of the ingest allocates
    through polars' and DuckDB's own allocators and could not reuse it, so the peak would carry
    it to the end. glibc's malloc_trim returns it; elsewhere this does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")  # glibc by name: find_library would spawn ldconfig
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _read_csv(data: bytes, source: str) -> Iterator[tuple[pl.DataFrame, SheetInfo]]:
    text, _encoding = decode_bytes(data, file=source)
    del data
    # Only the first lines go through the csv module, to find the header; cells never hold
    # newlines in these lists, so one line is one row.
    head_lines = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    probe: list[list[str]] = [next(csv.reader([line.rstrip("\r")]), []) for line in head_lines]
    header, mapping = _locate_header(probe, source)
    width = max(len(probe[header]), max(mapping) + 1)
    # Title lines are skipped unparsed; the header line is read as row 0 and sliced off below.
    payload = text.encode("utf-8")  # polars reads UTF-8 only; the BOM is gone after decoding
    del text
    grid = pl.read_csv(
        io.BytesIO(payload),
        has_header=False,
        skip_lines=header,
        schema={f"c{i}": pl.String for i in range(width)},
        truncate_ragged_lines=True,  # Excel pads every line to the widest; extra cells are empty
        quote_char='"',
    )
    del payload
    title = _title_text(probe[:header])
    frame = _table(grid, header + 1, 0, mapping, source)
    yield frame, SheetInfo(source, None, header + 1, frame.height, title, find_as_of(title))


def _member_name(info: zipfile.ZipInfo) -> str:
    """Member name as the publisher typed it.

    Bureau zips store CP932 names without the UTF-8 flag, which zipfile decodes as cp437:
    re-encode to the original bytes and decode them as CP932.
    """
    if info.flag_bits & _ZIP_UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp932")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _read_zip(path: Path, warnings: list[str]) -> Iterator[tuple[pl.DataFrame, SheetInfo]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError("not a valid zip archive ({reason})", file=path.name, reason=exc) from exc
    with archive:
        members = [(info, _member_name(info)) for info in archive.infolist()]
        read_any = False
        for info, name in sorted(members, key=lambda m: m[1]):
            source = f"{path.name}/{name}"
            lower = name.lower()
            if info.is_dir() or lower.startswith("__macosx/") or "/." in f"/{lower}":
                continue
            if lower.endswith(".xls"):
                raise _xls_error(source)
            if lower.endswith(_XLSX_SUFFIXES):
                read_any = True
                yield from _read_xlsx(read_zip_member(archive, info, source), source)
            elif lower.endswith(".csv"):
                # inside an archive a .txt is a read-me, not a list: only .csv members are lists
                read_any = True
                yield from _read_csv(read_zip_member(archive, info, source), source)
            else:
                warnings.append(t("{file}: skipped (not .xlsx or .csv)", file=source))
        if not read_any:
            raise InputError(
                "the archive holds no .xlsx or .csv bureau list",
                file=path.name,
                hint="unpack it and ingest the list files directly",
            )


def _xls_error(source: str | Path) -> UnsupportedFormatError:
    return UnsupportedFormatError(
        "legacy Excel 97-2003 workbooks (.xls) are not read",
        file=source,
        hint="open it in Excel and save it as .xlsx (Excel ブック), then ingest the .xlsx",
    )


def _tables(path: Path, warnings: list[str]) -> Iterator[tuple[pl.DataFrame, SheetInfo]]:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _xls_error(path.name)
    if suffix == ".zip":
        yield from _read_zip(path, warnings)
        return
    if suffix in _XLSX_SUFFIXES:
        with path.open("rb") as fh:
            if fh.read(len(_OLE_MAGIC)) == _OLE_MAGIC:
                raise _xls_error(path.name)  # an .xls renamed to .xlsx
        yield from _read_xlsx(path, path.name)
        return
    if suffix in _CSV_SUFFIXES:
        yield from _read_csv(path.read_bytes(), path.name)
        return
    raise UnsupportedFormatError(
        "unsupported file type {suffix!r}",
        file=path.name,
        suffix=path.suffix or t("(no extension)"),
        hint="give the bureau list as .xlsx, a .zip of .xlsx, or a CSV saved from Excel",
    )


# -- entry points -------------------------------------------------------------------------------


def read_bureau_list(
    path: Path, *, as_of: date | None = None, require_as_of: bool = True
) -> BureauList:
    """Read one bureau list file (.xlsx, .zip of .xlsx/.csv, or .csv) into a BureauList.

    `as_of` overrides the date of the title row ('…現在'). Without either, InputError asks for
    --as-of (unless require_as_of is False, for callers that only need the facilities).
    Raises UnsupportedFormatError for .xls and unknown types, InputError for a missing header
    or missing columns (naming the file, the header row found and the columns).
    """
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path")
    warnings: list[str] = []
    frames: list[pl.DataFrame] = []
    sheets: list[SheetInfo] = []
    for frame, info in _tables(path, warnings):
        frames.append(frame)
        sheets.append(info)
    frame = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]

    titled = sorted({s.title_as_of for s in sheets if s.title_as_of is not None})
    if as_of is not None:
        source = "option"
        if titled and titled != [as_of]:
            warnings.append(
                t(
                    "{file}: the title says {dates}; using --as-of {as_of}",
                    file=path.name,
                    dates=join(d.isoformat() for d in titled),
                    as_of=as_of,
                )
            )
    elif len(titled) == 1:
        as_of, source = titled[0], "title"
        untitled = [s.source_file for s in sheets if s.title_as_of is None]
        if untitled:
            warnings.append(
                t(
                    "no list date in the title of {sheets}; using {as_of} from the other sheets",
                    sheets=join(untitled),
                    as_of=as_of,
                )
            )
    elif len(titled) > 1:
        shown = join(
            f"{s.source_file} {s.title_as_of}" for s in sheets if s.title_as_of is not None
        )
        raise InputError(
            "the sheets carry different list dates ({dates})",
            file=path.name,
            dates=shown,
            hint="ingest each list separately, or pass --as-of if they are one list",
        )
    elif require_as_of:
        raise InputError(
            "no list date: the rows above the header (row {header_row}) carry no "
            "title such as '[令和７年１０月１日 現在 ]'",
            file=path.name,
            header_row=sheets[0].header_row,
            hint="pass --as-of YYYY-MM-DD with the date the list is valid for",
        )
    else:
        source = "none"
    if as_of is not None and source == "title":
        _check_list_date(as_of, path, sheets)
    return BureauList(path, as_of, source, frame, sheets, warnings)


# 在宅療養支援診療所 and the lists of their notifications exist from 2006-04; a title dated
# earlier, or after today, is a typo (令和17 for 令和7) that would make the list the "latest"
# snapshot for years.
_FIRST_LIST_DATE = date(2006, 4, 1)


def _check_list_date(as_of: date, path: Path, sheets: Sequence[SheetInfo]) -> None:
    if _FIRST_LIST_DATE <= as_of <= date.today():
        return
    titled = next(s for s in sheets if s.title_as_of == as_of)
    raise InputError(
        "the title's list date {as_of} ({title!r}) is in the future"
        if as_of > date.today()
        else "the title's list date {as_of} ({title!r}) is before any bureau list (2006-04)",
        file=path.name,
        as_of=as_of.isoformat(),
        title=titled.title,
        hint="correct the title, or pass --as-of YYYY-MM-DD with the date the list is valid for",
    )


def facility_codes_in(path: Path) -> list[str]:
    """Distinct 10-digit 医療機関コード of the 医科 facilities of a bureau list, sorted.

    Used to make synthetic claims bill real facilities of a list; rows with invalid keys are
    left out (the ingest reports them).
    """
    bureau = read_bureau_list(path, require_as_of=False)
    codes = (
        bureau.frame.lazy()
        .filter(pl.col("kubun").str.normalize("NFKC") == "医科")
        .select(pref_code_expr().alias("pref_code"), facility_no_expr().alias("facility_no"))
        .filter(pl.col("pref_code").is_in(PREF_CODES) & pl.col("facility_no").is_not_null())
        .select(facility_code10_expr().alias("code"))
        .unique()
        .sort("code")
        .collect()
    )
    return codes["code"].to_list()


# -- recognising a file by its content (readers.detect) ------------------------------------------


def detect(sample: Sample) -> Verdict:
    """A bureau list: an .xlsx, a zip of them, or a CSV whose first 20 rows hold the header
    naming 都道府県コード, 医療機関番号 and 受理記号 (among the 24 columns)."""
    if sample.is_ole:
        return Verdict(False, t("a legacy .xls workbook (Excel 97-2003): save it as .xlsx"))
    if sample.is_workbook:
        try:
            sheets = sample.sheets
        except InputError as exc:
            return Verdict(False, exc.message)
        verdicts = [_header_verdict(s.rows, t("sheet {sheet}: ", sheet=s.name)) for s in sheets]
        found = next((v for v in verdicts if v.matched), None)
        return found or (verdicts[0] if verdicts else Verdict(False, t("a workbook with no sheet")))
    if sample.zip_names is not None:
        try:
            member = sample.member((*_XLSX_SUFFIXES, ".csv"))
        except InputError as exc:
            return Verdict(False, exc.message)
        if member is None:
            return Verdict(False, t("a zip archive without .xlsx or .csv members"))
        name, inner = member
        verdict = detect(inner)
        return Verdict(
            verdict.matched, t("zip member {name}: {reason}", name=name, reason=verdict.reason)
        )
    text = sample.text
    if isinstance(text, str):
        return Verdict(False, text)
    lines, _encoding = text
    rows: list[list[str | None]] = []
    for line in lines[:HEADER_SEARCH_ROWS]:
        try:
            rows.append(list(next(csv.reader([line]), [])))
        except csv.Error:
            rows.append([])
    return _header_verdict(rows, "")


def _header_verdict(rows: Sequence[Sequence[str | None]], where: str) -> Verdict:
    index = _header_index()
    keys = {index[_header_key(k)].name for k in HEADER_KEYS}
    best: tuple[int, set[str]] | None = None
    for r, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        seen = {col.name for cell in cells if (col := index.get(_header_key(cell)))}
        if keys <= seen:
            return Verdict(
                True,
                t(
                    "{where}header row {row} with {count} of the 24 columns",
                    where=where,
                    row=r + 1,
                    count=len(seen),
                ),
            )
        if len(seen) >= 3 and (best is None or len(seen) > len(best[1])):
            best = (r, seen)
    if best is not None:
        lacking = [k for k in HEADER_KEYS if index[_header_key(k)].name not in best[1]]
        return Verdict(
            False,
            t(
                "{where}row {row} has {count} of the 24 columns but not {lacking}",
                where=where,
                row=best[0] + 1,
                count=len(best[1]),
                lacking=join(lacking),
            ),
        )
    return Verdict(
        False,
        t(
            "{where}no row of the first {rows} names {keys}",
            where=where,
            rows=HEADER_SEARCH_ROWS,
            keys=join(HEADER_KEYS),
        ),
    )
