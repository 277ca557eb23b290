"""Read a small CSV (a population, enrolment or scenario table) into text columns with the line
number of every row, so that checks can name file, row and column. Whole-file, in memory: these
tables have thousands of rows, not millions.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zaitaku_cli.i18n import t
from zaitaku_cli.readers.small_table import read_small_table

__all__ = ["read_csv_rows"]


def read_csv_rows(
    path: Path, *, delimiter: str | None = ",", encoding: str | None = None
) -> tuple[list[str], pl.DataFrame, str]:
    """(header, rows, encoding) of a small CSV: UTF-8 (BOM or not) or CP932, detected unless
    `encoding` names one; `delimiter` None guesses it from the header line (, tab ; |).

    rows holds the fields by header name as text (missing fields empty), `source_row` (the line
    where the row starts, header = 1) and `raw_row` (the row as read, for rejects). Blank lines
    are skipped.
    """
    table = read_small_table(
        path,
        is_header=lambda cells: True,  # the first line is the header
        expected=t("a header line"),
        delimiter=delimiter,
        encoding=encoding,
    )
    # a workbook (.xlsx) reads too: its "encoding" says so
    return table.header, table.rows, table.encoding or "xlsx"
