"""Japanese labels for outputs: column headers, and the values of indicator, category, basis,
age group and the other small vocabularies (reference/data/labels.csv, indicators.csv,
categories.csv). Outputs keep their English keys for scripts; labels sit beside them
(`indicator_ja`) and head the workbook's columns.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import pyarrow as pa

from zaitaku_cli.reference import categories, indicators, labels

# Value vocabularies whose labels live in their own tables rather than in labels.csv.
_OWN_TABLES = ("indicator", "category")


@cache
def _label_table() -> dict[tuple[str, str, str], str]:
    return {
        (r["kind"], r["key"], r["scope"] or ""): r["ja"] for r in labels().iter_rows(named=True)
    }


@cache
def _value_tables() -> dict[str, dict[str, str]]:
    return {
        "indicator": dict(indicators().select("indicator", "short_ja").iter_rows()),
        "category": dict(categories().select("category", "short_ja").iter_rows()),
    }


def output_kind(stem: str) -> str:
    """`claims` for `claims_by_municipality_monthly`: the part of a file stem before `_by_`."""
    return stem.split("_by_", 1)[0]


def output_label(kind: str) -> str | None:
    """届出施設数 for `facilities`; None for an output labels.csv does not know yet."""
    return _label_table().get(("output", kind, ""))


def column_label(column: str, output: str | None = None) -> str | None:
    """The Japanese header of `column`, for the output kind `output` where the meaning differs
    (`facilities` counts notifications in one table and billing institutions in another).
    None when labels.csv has no row for it."""
    table = _label_table()
    if output is not None and (label := table.get(("column", column, output))) is not None:
        return label
    return table.get(("column", column, ""))


def value_kinds() -> frozenset[str]:
    """Columns whose values have Japanese labels (basis, age_group, indicator, …)."""
    kinds = {kind for kind, _key, _scope in _label_table() if kind not in {"column", "output"}}
    return frozenset(kinds | set(_OWN_TABLES))


def value_label(kind: str, value: str) -> str | None:
    """患者住所地 for (basis, residence), 訪問診療 for (indicator, houmon_shinryo); else None."""
    if kind in _OWN_TABLES:
        return _value_tables()[kind].get(value)
    return _label_table().get((kind, value, ""))


def value_order(kind: str) -> dict[str, int]:
    """Display order of a vocabulary's values (the order of its table), for sorting columns."""
    if kind == "indicator":
        keys = indicators().sort(pl.col("display_order").cast(pl.Int32))["indicator"].to_list()
    elif kind == "category":
        keys = categories().sort(pl.col("display_order").cast(pl.Int32))["category"].to_list()
    else:
        keys = [key for k, key, _scope in _label_table() if k == kind]
    return {key: i for i, key in enumerate(keys)}


def _measure_names() -> dict[str, str]:
    # a rate's measure is a claims indicator or a facility category: the keys never clash
    tables = _value_tables()
    return {**tables["category"], **tables["indicator"]}


def with_japanese_labels(table: pa.Table) -> pa.Table:
    """`table` with `indicator_ja` right after `indicator` (the short Japanese name, e.g. 訪問診療),
    and `measure_ja` after a rate's `measure` (an indicator or a facility category).

    Added at export time so that every output with an indicator carries it, whatever SQL made
    it. A column already there, or a table without the key, is left as it is.
    """
    for key, names in (("indicator", _value_tables()["indicator"]), ("measure", _measure_names())):
        if key not in table.column_names or f"{key}_ja" in table.column_names:
            continue
        frame = pl.from_arrow(table.select([key]))
        assert isinstance(frame, pl.DataFrame)
        ja = frame.select(
            pl.col(key).replace_strict(names, default=None, return_dtype=pl.String)
        ).to_series()
        position = table.column_names.index(key) + 1
        column = ja.to_arrow().cast(pa.string())
        table = table.add_column(position, pa.field(f"{key}_ja", pa.string()), column)
    return table
