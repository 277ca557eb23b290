"""Read the layout of KDB-style claim extracts: headers → canonical columns, mapping files,
encoding and delimiter.

The canonical columns and their header aliases are data (claims_columns.toml). A mapping file
(TOML) maps other export layouts to them without code changes. Reading the lines themselves is
claims_parsing's job.
"""

from __future__ import annotations

import codecs
import csv
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zaitaku_cli.errors import EncodingDetectionError, InputError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.column_mapping import (
    ColumnMapping,
    normalize_header,
    read_column_mapping,
    table_spec,
)
from zaitaku_cli.readers.encoding import SAMPLE_BYTES, detect_encoding
from zaitaku_cli.readers.sample import Sample, Verdict

__all__ = [
    "COLUMNS_FILE",
    "DELIMITERS",
    "CanonicalColumn",
    "ClaimsMapping",
    "ExtractLayout",
    "canonical_columns",
    "detect",
    "normalize_header",
    "read_layout",
    "read_mapping",
]

COLUMNS_FILE = Path(__file__).with_name("claims_columns.toml")

# Delimiters we accept (in this order when the header's counts tie).
DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {"comma": ",", "tab": "\t", "\\t": "\t", "semicolon": ";", "pipe": "|"}

_ENCODING_NAMES = {
    "auto": "auto",
    "cp932": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
}


# -- canonical columns -------------------------------------------------------------------------
@dataclass(frozen=True)
class CanonicalColumn:
    key: str  # English key used in code and SQL: person_id
    ja: str  # canonical Japanese header: 被保険者番号
    aliases: tuple[str, ...]
    required: bool
    values: bool  # a mapping file may translate this column's codes


@cache
def canonical_columns() -> dict[str, CanonicalColumn]:
    """The canonical extract's columns in file order (claims_columns.toml), by key."""
    with COLUMNS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    columns = {}
    for key, spec in data["columns"].items():
        # Keys are written into generated SQL as identifiers: keep them plain.
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
        columns[key] = CanonicalColumn(
            key=key,
            ja=spec["ja"],
            aliases=tuple(spec.get("aliases", ())),
            required=bool(spec.get("required", False)),
            values=bool(spec.get("values", False)),
        )
    return columns


@cache
def _one_of() -> tuple[tuple[str, ...], ...]:
    with COLUMNS_FILE.open("rb") as fh:
        return tuple(tuple(group) for group in tomllib.load(fh).get("one_of", []))


@cache
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in canonical_columns().values():
        for name in (column.key, column.ja, *column.aliases):
            index[normalize_header(name)] = column.key
    return index


# -- mapping files -----------------------------------------------------------------------------
# The mapping mechanism is the one of every analyst table (readers.column_mapping); claims keep
# their own encoding names ('auto' is a choice here: --encoding may override it) and delimiters.
ClaimsMapping = ColumnMapping


def read_mapping(path: Path | None) -> ClaimsMapping:
    """Parse a mapping file (see examples/claims_mapping.example.toml); None → empty mapping."""
    return read_column_mapping(
        path,
        table_spec(COLUMNS_FILE),
        encodings=_ENCODING_NAMES,
        delimiters={**_DELIMITER_NAMES, **{d: d for d in DELIMITERS}},
    )


# -- header and layout -------------------------------------------------------------------------
@dataclass(frozen=True)
class ExtractLayout:
    """How one extract is laid out: encoding, delimiter, and the canonical key of each column."""

    path: Path
    encoding: str  # cp932 | utf-8 | ascii (only ASCII seen so far: decided while streaming)
    delimiter: str
    headers: tuple[str, ...]  # as in the file
    keys: tuple[str | None, ...]  # canonical key per file column; None = not used

    def position(self, key: str) -> int | None:
        return self.keys.index(key) if key in self.keys else None

    def header_of(self, key: str) -> str | None:
        pos = self.position(key)
        return self.headers[pos] if pos is not None else None

    @property
    def ignored(self) -> list[str]:
        return [h for h, k in zip(self.headers, self.keys, strict=True) if k is None]


def _resolve_encoding(requested: str, mapping: ClaimsMapping) -> str:
    name = _ENCODING_NAMES.get(requested.strip().lower())
    if name is None:
        raise InputError(
            "encoding {encoding!r} is not supported",
            hint="use auto, cp932 or utf-8",
            encoding=requested,
        )
    # Precedence: an explicit --encoding > the mapping file's encoding > detection.
    if name == "auto" and mapping.encoding:
        return mapping.encoding
    return name


def read_layout(path: Path, mapping: ClaimsMapping, *, encoding: str = "auto") -> ExtractLayout:
    """Read the header line, settle encoding and delimiter, and match headers to columns.

    Raises InputError naming the file when a required column is missing or two headers claim
    the same column.
    """
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError("the file is empty", file=path)
    body = sample[len(codecs.BOM_UTF8) :] if sample.startswith(codecs.BOM_UTF8) else sample

    chosen = _resolve_encoding(encoding, mapping)
    if chosen == "auto":
        if sample.startswith(codecs.BOM_UTF8):
            chosen = "utf-8"
        elif body.isascii():
            # ASCII is both UTF-8 and CP932: decide at the first non-ASCII block.
            chosen = "ascii"
        else:
            # Cut at the last line end so a sample never ends inside a character.
            cut = body.rfind(b"\n")
            detected = detect_encoding(body[: cut + 1] if cut > 0 else body, file=path)
            chosen = "cp932" if detected == "cp932" else "utf-8"

    end = body.find(b"\n")
    if end < 0 and len(sample) == SAMPLE_BYTES:
        raise InputError("no line end in the first megabyte", file=path, row=1)
    line_bytes = (body if end < 0 else body[:end]).rstrip(b"\r")
    try:
        header_line = line_bytes.decode("utf-8" if chosen == "ascii" else chosen)
    except UnicodeDecodeError as exc:
        raise EncodingDetectionError(
            "the header is not valid {encoding}",
            file=path,
            encoding=chosen,
            row=1,
            hint="pass --encoding cp932 or --encoding utf-8 to match how the file was saved",
        ) from exc

    delimiter = mapping.delimiter or _sniff_delimiter(header_line)
    headers = tuple(next(csv.reader([header_line], delimiter=delimiter)))
    keys = _match_headers(path, headers, mapping)
    return ExtractLayout(
        path=path, encoding=chosen, delimiter=delimiter, headers=headers, keys=keys
    )


def _sniff_delimiter(header_line: str) -> str:
    # The header names canonical columns, none of which contains a delimiter: the most frequent
    # candidate is the delimiter.
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _match_headers(
    path: Path, headers: tuple[str, ...], mapping: ClaimsMapping
) -> tuple[str | None, ...]:
    canon = canonical_columns()
    keys: list[str | None] = []
    claimed: dict[str, str] = {}
    for header in headers:
        norm = normalize_header(header)
        key = mapping.columns.get(norm) or _alias_index().get(norm)
        if key is not None and key in claimed:
            raise InputError(
                "headers {first!r} and {second!r} both map to {canonical}",
                file=path,
                row=1,
                column=header,
                hint="map one of them to another column in --mapping [columns], or remove it",
                first=claimed[key],
                second=header,
                canonical=canon[key].ja,
            )
        if key is not None:
            claimed[key] = header
        keys.append(key)

    missing = [c.ja for c in canon.values() if c.required and c.key not in claimed]
    for group in _one_of():
        if not any(key in claimed for key in group):
            missing.append(t(" or ").join(canon[key].ja for key in group))
    if missing:
        raise InputError(
            "required column(s) missing: {missing} (headers found: {headers})",
            file=path,
            row=1,
            hint="map your headers to the canonical names in {mapping} [columns], e.g. "
            '"被保番" = "被保険者番号"'
            if mapping.source
            else "map your headers to the canonical names with --mapping [columns], e.g. "
            '"被保番" = "被保険者番号"',
            missing=join(missing),
            headers=join(headers),
            mapping=mapping.source,
        )
    return tuple(keys)


# -- recognising a file by its content (readers.detect) ------------------------------------------


def detect(sample: Sample) -> Verdict:
    """A claims extract: CSV text whose first line names every required canonical column
    (by its Japanese header, an alias, or the --mapping file's [columns])."""
    if sample.is_ole or sample.zip_names is not None:
        return Verdict(False, t("a workbook or archive; claims extracts are CSV text"))
    text = sample.text
    if isinstance(text, str):
        return Verdict(False, text)
    lines, encoding = text
    mapping = sample.claims_mapping or ClaimsMapping()
    delimiter = mapping.delimiter or _sniff_delimiter(lines[0])
    try:
        headers = next(csv.reader([lines[0]], delimiter=delimiter), [])
    except csv.Error:
        headers = []
    claimed = {
        key
        for header in headers
        if (
            key := mapping.columns.get(normalize_header(header))
            or _alias_index().get(normalize_header(header))
        )
    }
    canon = canonical_columns()
    missing = [c.ja for c in canon.values() if c.required and c.key not in claimed]
    missing += [
        t(" or ").join(canon[key].ja for key in group)
        for group in _one_of()
        if not any(key in claimed for key in group)
    ]
    if not claimed:
        return Verdict(
            False, t("the first line names no claims column (保険者番号, 被保険者番号, …)")
        )
    if missing:
        return Verdict(
            False,
            t(
                "the first line names {count} claims columns but not {missing} "
                "(another layout: map its headers with --mapping)",
                count=len(claimed),
                missing=join(missing),
            ),
        )
    return Verdict(
        True,
        t("header with {count} claims columns ({encoding})", count=len(claimed), encoding=encoding),
    )
