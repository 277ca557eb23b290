"""Read a 住基-shaped population table (the columns of the packaged population.csv) as text.

Only the shape is checked here: the header must hold exactly the packaged columns (in any
order). Values stay strings with their line numbers; `ingest_population` checks them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.sample import Sample, Verdict
from zaitaku_cli.readers.small_csv import read_csv_rows
from zaitaku_cli.reference import population

__all__ = ["PopulationFile", "detect", "population_columns", "read_population_table"]


def population_columns() -> list[str]:
    """The columns of the packaged population.csv, in its order."""
    return list(population().columns)


@dataclass(frozen=True)
class PopulationFile:
    path: Path
    encoding: str
    rows: pl.DataFrame  # every column as text, plus source_row (line, header = 1) and raw_row


def read_population_table(path: Path) -> PopulationFile:
    """The rows of a population table; a header that is not population.csv's is refused."""
    header, rows, encoding = read_csv_rows(path)
    expected = population_columns()
    missing = [c for c in expected if c not in header]
    extra = [h for h in header if h not in expected]
    if missing or extra:
        problems = []
        if missing:
            problems.append(t("missing {columns}", columns=join(missing)))
        if extra:
            problems.append(t("unknown {columns}", columns=join(extra)))
        raise InputError(
            "the header is not that of a population table: {problems}",
            file=path,
            row=1,
            column=(missing or extra)[0],
            hint="use the columns of the packaged population.csv: {expected}",
            problems="; ".join(problems),
            expected=",".join(expected),
        )
    return PopulationFile(path=path, encoding=encoding, rows=rows)


# -- recognising a file by its content (readers.detect) ------------------------------------------


def detect(sample: Sample) -> Verdict:
    """A population table: CSV text whose first line holds every column of population.csv."""
    if sample.is_ole or sample.zip_names is not None:
        return Verdict(False, t("a workbook or archive; population tables are CSV text"))
    text = sample.text
    if isinstance(text, str):
        return Verdict(False, text)
    try:
        header = {cell.strip() for cell in next(csv.reader([text[0][0]]), [])}
    except csv.Error:
        header = set()
    expected = population_columns()
    found = [c for c in expected if c in header]
    if len(found) == len(expected):
        return Verdict(
            True, t("header with the {count} columns of population.csv", count=len(expected))
        )
    if found:
        return Verdict(
            False,
            t(
                "the first line has {found} of the {count} columns of population.csv",
                found=len(found),
                count=len(expected),
            ),
        )
    return Verdict(False, t("the first line names no column of population.csv (code5, total, …)"))
