"""Packaged reference data (see data/PROVENANCE.md) and its registration as DuckDB tables.

Every table is read as text so that zero-padded codes stay codes. SQL refers to them by name:
ref_municipalities, ref_secondary_areas, ref_juri_kigo, ref_categories, ref_claim_codes,
ref_months, ref_population, ref_population_projection, ref_projection_units.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from zaitaku_cli.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"

_FILES = {
    "ref_municipalities": "municipalities.csv",
    "ref_secondary_areas": "secondary_areas.csv",
    "ref_juri_kigo": "juri_kigo.csv",
    "ref_claim_codes_packaged": "claim_codes.csv",
    "ref_population": "population.csv",
    "ref_population_projection": "population_projection.csv",
    "ref_projection_units": "projection_units.csv",
    "ref_categories": "categories.csv",
}

# Months covered: KDB history starts in the 2010s, projections end in 2050.
_MONTHS_FROM = date(2000, 4, 1)
_MONTHS_TO = date(2060, 3, 1)


@cache
def load_table(file_name: str) -> pl.DataFrame:
    """A packaged CSV as a polars frame of strings (codes keep their leading zeros)."""
    return pl.read_csv(DATA_DIR / file_name, infer_schema=False)


def municipalities() -> pl.DataFrame:
    return load_table("municipalities.csv")


def prefecture_name(pref_code: str) -> str:
    """岩手県 for '03'; a code of no 都道府県 is the user's --pref, refused as such."""
    rows = municipalities().filter(
        (pl.col("pref_code") == pref_code) & (pl.col("kind") == "都道府県")
    )
    if rows.is_empty():
        raise ConfigError(
            "--pref {pref!r} is not a 都道府県コード: use 01–47 (e.g. 03)", pref=pref_code
        )
    return str(rows["name"][0])


def secondary_areas() -> pl.DataFrame:
    return load_table("secondary_areas.csv")


def juri_kigo() -> pl.DataFrame:
    return load_table("juri_kigo.csv")


def categories() -> pl.DataFrame:
    """Facility categories with short Japanese labels (支援診1 …) in display order."""
    return load_table("categories.csv")


def population() -> pl.DataFrame:
    """住基 2025-01-01 population per unit (prefectures, 政令市 and their wards included)."""
    return load_table("population.csv")


def claim_codes() -> pl.DataFrame:
    return load_table("claim_codes.csv")


def indicators() -> pl.DataFrame:
    """Claims indicators with Japanese names (訪問診療 …) in display order."""
    return load_table("indicators.csv")


def labels() -> pl.DataFrame:
    """Japanese labels of output columns and small vocabularies (kind, key, scope, ja, note)."""
    return load_table("labels.csv")


@cache
def months() -> pl.DataFrame:
    """Month reference table: month start, 'YYYY-MM', fiscal year (April–March) and 'FY2023'.

    SQL takes fiscal years from here rather than from date arithmetic, so the same SQL ports
    to engines whose date functions differ.
    """
    starts = pl.date_range(_MONTHS_FROM, _MONTHS_TO, interval="1mo", eager=True)
    frame = pl.DataFrame({"month_start": starts})
    return frame.with_columns(
        month_label=pl.col("month_start").dt.strftime("%Y-%m"),
        fiscal_year=pl.when(pl.col("month_start").dt.month() >= 4)
        .then(pl.col("month_start").dt.year())
        .otherwise(pl.col("month_start").dt.year() - 1),
    ).with_columns(fy_label=pl.format("FY{}", pl.col("fiscal_year")))


def register_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Expose the packaged tables to SQL by name on this connection (no copy into the file).

    The code table in use, ref_claim_codes, extends the packaged one with the codes added in
    the warehouse: a view the warehouse defines from sql/staging/ref_claim_codes.sql.
    """
    for name, file_name in _FILES.items():
        con.register(name, load_table(file_name).to_arrow())
    con.register("ref_months", months().to_arrow())
