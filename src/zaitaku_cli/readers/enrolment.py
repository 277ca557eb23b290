"""Read the analyst's enrolment table (国保 + 後期 members by municipality and age group), with an
optional TOML mapping of headers and values, like `ingest claims --mapping`.

The canonical columns, their header aliases and the value spellings recognised without a
mapping are data (enrolment_columns.toml). Values come back as text, headers renamed to the
canonical keys and mapped values translated; `ingest_population` checks them.
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.claims_extract import normalize_header
from zaitaku_cli.readers.sample import Sample, Verdict
from zaitaku_cli.readers.small_csv import read_csv_rows

__all__ = [
    "COLUMNS_FILE",
    "EnrolmentColumn",
    "EnrolmentFile",
    "EnrolmentMapping",
    "detect",
    "enrolment_columns",
    "read_enrolment",
    "read_enrolment_mapping",
]

COLUMNS_FILE = Path(__file__).with_name("enrolment_columns.toml")

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


@dataclass(frozen=True)
class EnrolmentColumn:
    key: str
    ja: str
    aliases: tuple[str, ...]
    required: bool
    values: bool
    value_aliases: dict[str, str]  # normalised spelling → canonical value


def normalize_value(value: str) -> str:
    """A value as compared with the known spellings: NFKC, case-folded, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value).casefold())


@cache
def enrolment_columns() -> dict[str, EnrolmentColumn]:
    """The enrolment table's canonical columns, in file order, by key."""
    with COLUMNS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    spellings = data.get("value_aliases", {})
    return {
        key: EnrolmentColumn(
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


@cache
def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in enrolment_columns().values():
        for name in (column.key, column.ja, *column.aliases):
            index[normalize_header(name)] = column.key
    return index


@dataclass(frozen=True)
class EnrolmentMapping:
    """What a --mapping TOML file says; the empty mapping when none is given."""

    source: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # normalised header → key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # key → raw → canonical
    encoding: str | None = None
    delimiter: str | None = None


def read_enrolment_mapping(path: Path | None) -> EnrolmentMapping:
    """Parse a mapping file (see examples/enrolment_mapping.example.toml); None → empty."""
    if path is None:
        return EnrolmentMapping()
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
    columns_spec = enrolment_columns()
    names = join(c.ja for c in columns_spec.values())
    columns: dict[str, str] = {}
    for header, target in (data.get("columns") or {}).items():
        key = _header_index().get(normalize_header(str(target)))
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
        key = _header_index().get(normalize_header(str(target)))
        if key is None or not columns_spec[key].values:
            raise InputError(
                "[values.{target}] cannot be mapped",
                file=path,
                hint="values can be mapped for {allowed}",
                target=target,
                allowed=join(c.ja for c in columns_spec.values() if c.values),
            )
        if not isinstance(table, dict):
            raise InputError(
                '[values.{target}] must be a table of "raw" = "value"', file=path, target=target
            )
        values[key] = {str(raw).strip(): str(value).strip() for raw, value in table.items()}
    encoding = data.get("encoding")
    if encoding is not None and str(encoding).strip().lower() not in _ENCODINGS:
        raise InputError(
            "encoding {encoding!r} is not supported",
            file=path,
            hint="use auto, cp932 or utf-8",
            encoding=encoding,
        )
    delimiter = data.get("delimiter")
    if delimiter is not None and str(delimiter).lower() not in _DELIMITERS:
        raise InputError(
            "delimiter {delimiter!r} is not supported",
            file=path,
            delimiter=delimiter,
            hint='use ",", "\\t" (or "tab"), ";" or "|"',
        )
    return EnrolmentMapping(
        source=path,
        columns=columns,
        values=values,
        encoding=_ENCODINGS[str(encoding).strip().lower()] if encoding is not None else None,
        delimiter=_DELIMITERS[str(delimiter).lower()] if delimiter is not None else None,
    )


@dataclass(frozen=True)
class EnrolmentFile:
    path: Path
    encoding: str
    headers: dict[str, str]  # canonical key → header as written in the file
    rows: pl.DataFrame  # canonical keys as text (values mapped), source_row, raw_row


def read_enrolment(path: Path, mapping: EnrolmentMapping | None = None) -> EnrolmentFile:
    """The rows of an enrolment table with canonical column names and values.

    Raises InputError naming the file when a required column is missing or two headers claim
    one column. Values that no mapping or known spelling translates are kept as written, for
    the ingest to reject with their row.
    """
    mapping = mapping or EnrolmentMapping()
    header, rows, encoding = read_csv_rows(
        path, delimiter=mapping.delimiter, encoding=mapping.encoding
    )
    spec = enrolment_columns()
    headers: dict[str, str] = {}
    for name in header:
        norm = normalize_header(name)
        key = mapping.columns.get(norm) or _header_index().get(norm)
        if key is None:
            continue
        if key in headers:
            raise InputError(
                "headers {first!r} and {second!r} both map to {canonical}",
                file=path,
                row=1,
                column=name,
                hint="map one of them to another column in --mapping [columns], or remove it",
                first=headers[key],
                second=name,
                canonical=spec[key].ja,
            )
        headers[key] = name
    missing = [c.ja for c in spec.values() if c.required and c.key not in headers]
    if missing:
        raise InputError(
            "required column(s) missing: {missing} (headers found: {headers})",
            file=path,
            row=1,
            hint="map your headers to the canonical names in {mapping} [columns], e.g. "
            '"人数" = "被保険者数"'
            if mapping.source
            else "map your headers to the canonical names with --mapping [columns], e.g. "
            '"人数" = "被保険者数"',
            missing=join(missing),
            headers=join(header),
            mapping=mapping.source,
        )
    renamed = rows.select(
        *(pl.col(name).alias(key) for key, name in headers.items()), "source_row", "raw_row"
    )
    translated = []
    for key in headers:
        column = spec[key]
        if not column.values:
            continue
        given = mapping.values.get(key, {})
        known = column.value_aliases
        # one lookup per distinct value (a table has a handful: 国保/後期, three age groups)
        lookup = {
            raw: given.get(raw) or known.get(normalize_value(raw), raw)
            for raw in renamed[key].unique().to_list()
            if raw is not None
        }
        translated.append(pl.col(key).replace(lookup))
    if translated:
        renamed = renamed.with_columns(translated)
    return EnrolmentFile(path=path, encoding=encoding, headers=headers, rows=renamed)


# -- recognising a file by its content (readers.detect) ------------------------------------------


def detect(sample: Sample) -> Verdict:
    """An enrolment table: CSV text whose first line names every required column (by its
    Japanese header or an alias; a mapped layout goes with its kind: `ingest enrolment
    --mapping`)."""
    if sample.is_ole or sample.zip_names is not None:
        return Verdict(False, t("a workbook or archive; enrolment tables are CSV text"))
    text = sample.text
    if isinstance(text, str):
        return Verdict(False, text)
    line = text[0][0]
    delimiter = max(",\t;|", key=line.count)
    try:
        headers = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        headers = []
    claimed = {key for h in headers if (key := _header_index().get(normalize_header(h)))}
    spec = enrolment_columns()
    missing = [c.ja for c in spec.values() if c.required and c.key not in claimed]
    if not missing:
        return Verdict(True, t("header with {count} enrolment columns", count=len(claimed)))
    if claimed:
        return Verdict(
            False,
            t(
                "the first line names {count} enrolment columns but not {missing}",
                count=len(claimed),
                missing=join(missing),
            ),
        )
    return Verdict(
        False, t("the first line names no enrolment column (市町村コード, 被保険者数, …)")
    )
