"""Read the analyst's enrolment table (国保 + 後期 members by municipality and age group), with an
optional TOML mapping of headers and values, like `ingest claims --mapping`.

The canonical columns, their header aliases and the value spellings recognised without a
mapping are data (enrolment_columns.toml); the mapping mechanism is readers.column_mapping.
Values come back as text, headers renamed to the canonical keys and mapped values translated;
`ingest_population` checks them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zaitaku_cli.i18n import N_, join, t
from zaitaku_cli.readers.column_mapping import (
    Column,
    ColumnMapping,
    TableKind,
    normalize_header,
    normalize_value,
)
from zaitaku_cli.readers.sample import Sample, Verdict

__all__ = [
    "COLUMNS_FILE",
    "ENROLMENT",
    "EnrolmentColumn",
    "EnrolmentFile",
    "EnrolmentMapping",
    "detect",
    "enrolment_columns",
    "normalize_value",
    "read_enrolment",
    "read_enrolment_mapping",
]

COLUMNS_FILE = Path(__file__).with_name("enrolment_columns.toml")
ENROLMENT = TableKind(COLUMNS_FILE, example='"人数" = "被保険者数"', what=N_("enrolment"))

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
