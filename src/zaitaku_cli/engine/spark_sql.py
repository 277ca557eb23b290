"""DuckDB SQL of `sql/` as Spark SQL: parameters bound as typed literals in the parsed tree.

sqlglot parses the file (DuckDB dialect), each `$name` node is replaced by a literal of its
value's type — never by formatting text — and Spark SQL is generated with unsupported features
raising, so a construct Spark lacks fails here, naming the file, not half-way through a job.
Needs only sqlglot (no Java): the transpiled text of every file is tested without Spark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from zaitaku_cli.errors import ReferenceDataError
from zaitaku_cli.sql_files import bind_parameters, load_sql


@dataclass(frozen=True)
class SparkQuery:
    """One `sql/` file ready for Spark: its text and the relations it reads by name."""

    name: str
    sql: str
    reads: frozenset[str]


def literal(value: Any) -> exp.Expression:
    """A parameter value as a typed Spark literal (a date is a date, not a string)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):  # before int: True is an int too
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    raise TypeError(f"no Spark literal for a parameter of type {type(value).__name__}")


def _bind(node: exp.Expression, values: Mapping[str, Any], name: str) -> exp.Expression:
    if not isinstance(node, exp.Placeholder | exp.Parameter):
        return node
    value = values[node.name]
    if value is None and not isinstance(node.parent, exp.Cast):
        # Spark's ANSI mode refuses an untyped null where DuckDB guesses a type
        raise ValueError(f"sql/{name}.sql: ${node.name} is null: write cast(${node.name} as …)")
    return literal(value)


def relations_read(tree: exp.Expression) -> frozenset[str]:
    """Tables and views a query reads by name (its own CTEs left out), lower-cased."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name.lower() for t in tree.find_all(exp.Table) if t.name.lower() not in ctes)


def spark_query(name: str, params: Mapping[str, Any] | None = None) -> SparkQuery:
    """`sql/<name>.sql` with `params` bound, as Spark SQL."""
    values = bind_parameters(name, params)
    try:
        trees = [t for t in sqlglot.parse(load_sql(name), read="duckdb") if t is not None]
    except SqlglotError as exc:
        raise ReferenceDataError(f"sql/{name}.sql does not parse as DuckDB SQL: {exc}") from exc
    if len(trees) != 1:
        raise ReferenceDataError(f"sql/{name}.sql holds {len(trees)} statements, not one query")
    tree = trees[0].transform(lambda node: _bind(node, values, name), copy=True)
    try:
        text = tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise ReferenceDataError(f"sql/{name}.sql has no Spark form: {exc}") from exc
    return SparkQuery(name=name, sql=text, reads=relations_read(tree))
