"""Canonical columns of a small analyst table and the `--mapping` TOML file that maps another
layout onto them: one mechanism for the enrolment table, the facility survey and the hub list.

Each table's columns are data (a `<table>_columns.toml` beside its reader): the canonical key
used in code, its Japanese header, header aliases recognised without a mapping, whether it is
required, and whether a mapping may translate its values (plus spellings recognised without
one). A mapping file renames headers (`[columns]`), translates values (`[values."列"]`) and may
fix the encoding and delimiter. Headers and values match after NFKC and case folding.
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.sample import Sample, Verdict
from zaitaku_cli.readers.small_table import HEADER_SEARCH_ROWS, read_small_table

__all__ = [
    "Column",
    "ColumnMapping",
    "MappedTable",
    "TableKind",
    "TableSpec",
    "match_headers",
    "normalize_header",
    "normalize_value",
    "read_column_mapping",
    "read_mapped_table",
    "table_spec",
    "translate_values",
]

_ENCODINGS = {
    "auto": None,
    "cp932": "cp932",
    "ms932": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
}
_DELIMITERS = {",": ",", "comma": ",", "\t": "\t", "tab": "\t", "\\t": "\t", ";": ";", "|": "|"}


def normalize_header(name: str) -> str:
    """Header as compared: NFKC, case-folded, without spaces, '_', '-' and '・'."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_\-・]+", "", text)


def normalize_value(value: str) -> str:
    """A value as compared with the known spellings: NFKC, case-folded, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value).casefold())


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    aliases: tuple[str, ...]
    required: bool
    values: bool
    value_aliases: dict[str, str]  # normalised spelling → canonical value


@dataclass(frozen=True)
class TableSpec:
    """The canonical columns of one kind of table, read from its TOML file."""

    source: Path
    columns: dict[str, Column]  # by key, in file order
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of keys of which a table needs one

    @property
    def header_index(self) -> dict[str, str]:
        """Normalised header (key, Japanese name or alias) → key."""
        return _header_index(self.source)

    def key_of(self, header: str) -> str | None:
        return self.header_index.get(normalize_header(header))


@cache
def table_spec(path: Path) -> TableSpec:
    """The spec in `path` (e.g. readers/enrolment_columns.toml), read once."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    spellings = data.get("value_aliases", {})
    columns = {
        key: Column(
            key=key,
            ja=spec["ja"],
            aliases=tuple(spec.get("aliases", ())),
            required=bool(spec.get("required", False)),
            values=bool(spec.get("values", False)),
            value_aliases={
                normalize_value(spelling): canonical
                for canonical, names in spellings.get(key, {}).items()
                for spelling in names
            },
        )
        for key, spec in data["columns"].items()
    }
    one_of = tuple(tuple(group) for group in data.get("one_of", []))
    return TableSpec(source=path, columns=columns, one_of=one_of)


@cache
def _header_index(path: Path) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in table_spec(path).columns.values():
        for name in (column.key, column.ja, *column.aliases):
            index[normalize_header(name)] = column.key
    return index


@dataclass(frozen=True)
class ColumnMapping:
    """What a --mapping TOML file says; the empty mapping when none is given."""

    source: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # normalised header → key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # key → raw → canonical
    encoding: str | None = None
    delimiter: str | None = None


def read_column_mapping(
    path: Path | None,
    spec: TableSpec,
    *,
    encodings: Mapping[str, str | None] = _ENCODINGS,
    delimiters: Mapping[str, str] = _DELIMITERS,
) -> ColumnMapping:
    """Parse a mapping file for tables of `spec`; None → the empty mapping.

    `encodings` and `delimiters` are the names a file may give (lower-case) and what each
    stands for: the reader of each kind of table decides what it can read.
    """
    if path is None:
        return ColumnMapping()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("not valid TOML ({reason})", file=path, reason=exc) from exc
    except OSError as exc:
        raise InputError(
            "cannot read the mapping file ({reason})", file=path, reason=exc.strerror
        ) from exc
    known = {"columns", "values", "encoding", "delimiter"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            "unknown setting(s) {settings}",
            file=path,
            hint="a mapping file has {known}",
            settings=join(unknown),
            known=join(sorted(known)),
        )
    names = join(c.ja for c in spec.columns.values())
    columns: dict[str, str] = {}
    for header, target in (data.get("columns") or {}).items():
        key = spec.key_of(str(target))
        if key is None:
            raise InputError(
                "[columns] maps {header!r} to {target!r}, which is not a canonical column",
                file=path,
                hint="map to one of {names}",
                header=header,
                target=target,
                names=names,
            )
        columns[normalize_header(header)] = key
    values: dict[str, dict[str, str]] = {}
    for target, table in (data.get("values") or {}).items():
        key = spec.key_of(str(target))
        if key is None or not spec.columns[key].values:
            raise InputError(
                "[values.{target}] cannot be mapped",
                file=path,
                hint="values can be mapped for {allowed}",
                target=target,
                allowed=join(c.ja for c in spec.columns.values() if c.values),
            )
        if not isinstance(table, dict):
            raise InputError(
                '[values.{target}] must be a table of "raw" = "value"', file=path, target=target
            )
        values[key] = {str(raw).strip(): str(value).strip() for raw, value in table.items()}
    encoding = data.get("encoding")
    if encoding is not None and str(encoding).strip().lower() not in encodings:
        raise InputError(
            "encoding {encoding!r} is not supported",
            file=path,
            hint="use auto, cp932 or utf-8",
            encoding=encoding,
        )
    delimiter = data.get("delimiter")
    if delimiter is not None and str(delimiter).lower() not in delimiters:
        raise InputError(
            "delimiter {delimiter!r} is not supported",
            file=path,
            hint='use ",", "\\t" (or "tab"), ";" or "|"',
            delimiter=delimiter,
        )
    return ColumnMapping(
        source=path,
        columns=columns,
        values=values,
        encoding=encodings[str(encoding).strip().lower()] if encoding is not None else None,
        delimiter=delimiters[str(delimiter).lower()] if delimiter is not None else None,
    )


def match_headers(
    path: Path,
    header: list[str],
    spec: TableSpec,
    mapping: ColumnMapping,
    *,
    row: int = 1,
    example: str,
) -> dict[str, str]:
    """Canonical key → the file's header for every header the spec or mapping knows.

    Raises InputError naming file and row when two headers claim one column or a required
    column is missing; `example` is a mapping line for the hint (e.g. '"人数" = "被保険者数"').
    """
    headers: dict[str, str] = {}
    for name in header:
        norm = normalize_header(name)
        key = mapping.columns.get(norm) or spec.header_index.get(norm)
        if key is None:
            continue
        if key in headers:
            raise InputError(
                "headers {first!r} and {second!r} both map to {canonical}",
                file=path,
                row=row,
                column=name,
                hint="map one of them to another column in --mapping [columns], or remove it",
                first=headers[key],
                second=name,
                canonical=spec.columns[key].ja,
            )
        headers[key] = name
    missing = _missing(spec, set(headers))
    if missing:
        raise InputError(
            "required column(s) missing: {missing} (headers found: {headers})",
            file=path,
            row=row,
            hint="map your headers to the canonical names in {mapping} [columns], e.g. {example}"
            if mapping.source
            else "map your headers to the canonical names with --mapping [columns], e.g. {example}",
            missing=join(missing),
            headers=join(h for h in header if h),
            mapping=mapping.source,
            example=example,
        )
    return headers


def _missing(spec: TableSpec, claimed: set[str]) -> list[str]:
    """The required columns (and one-of groups) that `claimed` keys leave out, in Japanese."""
    missing = [c.ja for c in spec.columns.values() if c.required and c.key not in claimed]
    missing += [
        t(" or ").join(spec.columns[key].ja for key in group)
        for group in spec.one_of
        if not claimed.intersection(group)
    ]
    return missing


def translate_values(
    rows: pl.DataFrame, headers: dict[str, str], spec: TableSpec, mapping: ColumnMapping
) -> pl.DataFrame:
    """`rows` (already renamed to keys) with mapped or known spellings turned into canonical
    values; a value nothing translates is kept as written, for the ingest to reject."""
    translated = []
    for key in headers:
        column = spec.columns[key]
        if not column.values:
            continue
        given = mapping.values.get(key, {})
        known = column.value_aliases
        # one lookup per distinct value (a handful: 国保/後期, three age groups, 参入意向)
        lookup = {
            raw: given.get(raw) or known.get(normalize_value(raw), raw)
            for raw in rows[key].unique().to_list()
            if raw is not None
        }
        translated.append(pl.col(key).replace(lookup))
    return rows.with_columns(translated) if translated else rows


@dataclass(frozen=True)
class MappedTable:
    """A small table read through its spec and mapping: canonical keys, text values."""

    path: Path
    headers: dict[str, str]  # canonical key → header as written in the file
    ignored: list[str]  # headers no column took
    rows: pl.DataFrame  # canonical keys as text (values mapped), source_row, raw_row
    encoding: str | None  # CSV: the encoding read; workbook: None
    sheet: str | None  # workbook: the sheet read


def read_mapped_table(
    path: Path, spec: TableSpec, mapping: ColumnMapping, *, example: str
) -> MappedTable:
    """A CSV or .xlsx sheet of `spec`'s columns whose header may sit below a title: the header
    row is the first naming two or more known columns (or one, for a one-column spec)."""
    needed = min(2, len(spec.columns))

    def is_header(cells: list[str]) -> bool:
        known = {
            mapping.columns.get(normalize_header(c)) or spec.header_index.get(normalize_header(c))
            for c in cells
            if c
        }
        return len(known - {None}) >= needed

    names = "、".join(c.ja for c in spec.columns.values() if c.required)
    table = read_small_table(
        path,
        is_header=is_header,
        expected=t("a header row naming {names} (map other headers with --mapping)", names=names),
        delimiter=mapping.delimiter,
        encoding=mapping.encoding,
    )
    headers = match_headers(
        path, table.header, spec, mapping, row=table.header_row, example=example
    )
    renamed = table.rows.select(
        *(pl.col(name).alias(key) for key, name in headers.items()), "source_row", "raw_row"
    )
    return MappedTable(
        path=path,
        headers=headers,
        ignored=[h for h in table.header if h not in headers.values()],
        rows=translate_values(renamed, headers, spec, mapping),
        encoding=table.encoding,
        sheet=table.sheet,
    )


@dataclass(frozen=True)
class TableKind:
    """One kind of analyst table (the survey, the hub list …): its columns file and how to read
    it with or without a mapping file."""

    columns_file: Path
    example: str  # a [columns] line for the hint when a required column is missing
    what: str  # the kind in a few words, for detection's reasons ("survey", "hub list"; N_)

    @property
    def spec(self) -> TableSpec:
        return table_spec(self.columns_file)

    def read_mapping(self, path: Path | None) -> ColumnMapping:
        """Parse a --mapping file for this kind; None → the empty mapping."""
        return read_column_mapping(path, self.spec)

    def read(self, path: Path, mapping: ColumnMapping | None = None) -> MappedTable:
        """The rows of a table of this kind (CSV or .xlsx), canonical keys and values."""
        return read_mapped_table(path, self.spec, mapping or ColumnMapping(), example=self.example)

    def detect(self, sample: Sample) -> Verdict:
        """A table of this kind: a CSV or a workbook sheet with, in its first rows, a header row
        naming every required column (by its Japanese header or an alias; a layout that needs
        --mapping is ingested with its kind named)."""
        if sample.is_ole:
            return Verdict(False, t("a legacy .xls workbook (Excel 97-2003): save it as .xlsx"))
        tables: list[tuple[str, list[list[str]]]]
        if sample.is_workbook:
            try:
                sheets = sample.sheets
            except InputError as exc:
                return Verdict(False, exc.message)
            tables = [
                (
                    t("sheet {sheet}: ", sheet=s.name),
                    [[(c or "").strip() for c in row] for row in s.rows],
                )
                for s in sheets
            ]
        elif sample.zip_names is not None:
            return Verdict(
                False,
                t("a zip archive ({what}s are single .csv or .xlsx files)", what=t(self.what)),
            )
        else:
            text = sample.text
            if isinstance(text, str):
                return Verdict(False, text)
            lines = text[0][:HEADER_SEARCH_ROWS]
            delimiter = max(",\t;|", key=lambda d: max(line.count(d) for line in lines))
            try:
                rows = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delimiter)]
            except csv.Error:
                rows = []
            tables = [("", rows)]
        for prefix, rows in tables:
            for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
                claimed = {key for c in cells if c and (key := self.spec.key_of(c))}
                if claimed and not _missing(self.spec, claimed):
                    found = t(
                        "header row {row} with {count} {what} columns",
                        row=number,
                        count=len(claimed),
                        what=t(self.what),
                    )
                    return Verdict(True, prefix + found)
        return Verdict(
            False,
            t(
                "no row of the first {rows} names the {what} columns ({required})",
                rows=HEADER_SEARCH_ROWS,
                what=t(self.what),
                required=join(_missing(self.spec, set())),
            ),
        )
