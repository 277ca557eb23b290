"""Read the analyst's enrolment table (国保 + 後期 members by municipality and age group), with an
optional TOML mapping of headers and values, like `ingest claims --mapping`.

The canonical columns, their header aliases and the value spellings recognised without a
mapping are data (enrolment_columns.toml); the mapping mechanism is readers.column_mapping.
Values come back as text, headers renamed to the canonical keys and mapped values translated;
`ingest_population` checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zaitaku_cli.readers.column_mapping import Column, ColumnMapping, TableKind, normalize_value

__all__ = [
    "COLUMNS_FILE",
    "ENROLMENT",
    "EnrolmentColumn",
    "EnrolmentFile",
    "EnrolmentMapping",
    "enrolment_columns",
    "normalize_value",
    "read_enrolment",
    "read_enrolment_mapping",
]

COLUMNS_FILE = Path(__file__).with_name("enrolment_columns.toml")
ENROLMENT = TableKind(COLUMNS_FILE, example='"人数" = "被保険者数"')

EnrolmentColumn = Column
EnrolmentMapping = ColumnMapping


def enrolment_columns() -> dict[str, EnrolmentColumn]:
    """The enrolment table's canonical columns, in file order, by key."""
    return ENROLMENT.spec.columns


def _header_index() -> dict[str, str]:
    return ENROLMENT.spec.header_index


def read_enrolment_mapping(path: Path | None) -> EnrolmentMapping:
    """Parse a mapping file (see examples/enrolment_mapping.example.toml); None → empty."""
    return ENROLMENT.read_mapping(path)


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
    table = ENROLMENT.read(path, mapping)
    return EnrolmentFile(
        path=path, encoding=table.encoding or "xlsx", headers=table.headers, rows=table.rows
    )
