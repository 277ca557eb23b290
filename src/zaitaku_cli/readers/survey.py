"""Read the prefecture's facility survey (訪問診療の実施可能件数, 参入意向 per facility): a CSV or
an Excel sheet, columns named as in survey_columns.toml or mapped by a --mapping TOML file.

Values come back as text with their row numbers; `ingest_survey` checks them and finds each
facility in the bureau lists.
"""

from __future__ import annotations

from pathlib import Path

from zaitaku_cli.readers.column_mapping import (
    ColumnMapping,
    MappedTable,
    TableSpec,
    read_column_mapping,
    read_mapped_table,
    table_spec,
)

__all__ = ["COLUMNS_FILE", "INTENTIONS", "read_survey", "read_survey_mapping", "survey_spec"]

COLUMNS_FILE = Path(__file__).with_name("survey_columns.toml")

# the canonical 参入意向 values, in the order of the survey question
INTENTIONS = ("新規参入", "拡大", "維持", "縮小", "予定なし", "未定")


def survey_spec() -> TableSpec:
    return table_spec(COLUMNS_FILE)


def read_survey_mapping(path: Path | None) -> ColumnMapping:
    """Parse a mapping file (see examples/survey_mapping.example.toml); None → empty."""
    return read_column_mapping(path, survey_spec())


def read_survey(path: Path, mapping: ColumnMapping | None = None) -> MappedTable:
    """The rows of a survey with canonical column names and 参入意向 values.

    Raises InputError naming the file when no header row is found, a required column is
    missing or two headers claim one column.
    """
    return read_mapped_table(
        path,
        survey_spec(),
        mapping or ColumnMapping(),
        example='"受入可能患者数" = "訪問診療の実施可能件数"',
    )
