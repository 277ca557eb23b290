"""DuckDB SQL of `sql/` as Spark SQL: parameters bound as typed literals in the parsed tree.

sqlglot parses the file (DuckDB dialect), each `$name` node is replaced by a literal of its
value's type — never by formatting text — and Spark SQL is generated with unsupported features
raising, so a construct Spark lacks fails here, naming the file, not half-way through a job.
Needs only sqlglot (no Java): the transpiled text of every file is tested without Spark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from zaitaku_cli.errors import ReferenceDataError
from zaitaku_cli.sql_files import bind_parameters, load_sql

# The warehouse's fact table: millions to billions of rows, where the other tables it exports
# hold at most thousands (municipalities, codes, facilities).
LARGE_TABLES = frozenset({"claim_lines"})


@dataclass(frozen=True)
class SparkQuery:
    """One `sql/` file ready for Spark: the relations it reads by name (warehouse tables and
    relations materialised earlier in the run), the steps to compute first — (relation, SQL),
    the CTEs it uses more than once (see split_shared_ctes) — and the final query over them."""

    name: str
    sql: str
    reads: frozenset[str]
    steps: tuple[tuple[str, str], ...] = ()


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


def spark_query(
    name: str, params: Mapping[str, Any] | None = None, large: frozenset[str] = LARGE_TABLES
) -> SparkQuery:
    """`sql/<name>.sql` with `params` bound, as Spark SQL, cut into steps where it reads a CTE
    over a `large` relation more than once (split_shared_ctes)."""
    values = bind_parameters(name, params)
    try:
        trees = [t for t in sqlglot.parse(load_sql(name), read="duckdb") if t is not None]
    except SqlglotError as exc:
        raise ReferenceDataError(
            "sql/{name}.sql does not parse as DuckDB SQL: {cause}", name=name, cause=exc
        ) from exc
    if len(trees) != 1:
        raise ReferenceDataError(
            "sql/{name}.sql holds {count} statements, not one query", name=name, count=len(trees)
        )
    tree = trees[0].transform(lambda node: _bind(node, values, name), copy=True)
    steps, final = split_shared_ctes(tree, name.rsplit("/", 1)[-1], large)
    try:
        return SparkQuery(
            name=name,
            sql=_spark(final),
            reads=relations_read(tree),
            steps=tuple((relation, _spark(step)) for relation, step in steps),
        )
    except SqlglotError as exc:
        raise ReferenceDataError(
            "sql/{name}.sql has no Spark form: {cause}", name=name, cause=exc
        ) from exc


def _spark(tree: exp.Expression) -> str:
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE, comments=False)


@dataclass(frozen=True)
class SparkSteps:
    """One query cut where Spark would compute a CTE more than once: `steps` are (relation,
    Spark SQL) to compute and keep in order, `final` reads them by name."""

    steps: list[tuple[str, str]]
    final: str


_WORK = (exp.Join, exp.AggFunc, exp.Group, exp.Window, exp.Distinct, exp.SetOperation)


def _does_work(body: exp.Expression) -> bool:
    """A CTE that joins, aggregates, de-duplicates, ranks or unions: worth computing once. A
    plain projection or filter of one relation is cheaper to repeat than to store."""
    return any(True for _ in body.find_all(*_WORK))


def _table_names(node: exp.Expression) -> set[str]:
    return {t.name.lower() for t in node.find_all(exp.Table)}


def _rename(node: exp.Expression, renamed: Mapping[str, str]) -> None:
    for table in list(node.find_all(exp.Table)):
        target = renamed.get(table.name.lower())
        if target is None or table.args.get("db"):
            continue
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("this", exp.to_identifier(target))


def split_shared_ctes(
    tree: exp.Expression, prefix: str, large: frozenset[str] = LARGE_TABLES
) -> tuple[list[tuple[str, exp.Expression]], exp.Expression]:
    """Cut the CTEs that `tree` reads more than once, that do work over a large relation
    (`large`: the claim lines and what was computed from them), into steps of their own named
    `<prefix>__<cte>`, each to be computed once and kept: Spark would compute such a CTE again
    at every use (the one-file claims mart: 800 stages on 20,000 lines). The rest stays inline:
    a CTE over reference tables (a few thousand rows) costs less to repeat than a job to keep
    it. DuckDB needs none of this: it runs the file as written."""
    with_ = tree.args.get("with_")
    if with_ is None or with_.recursive:
        return [], tree
    uses = Counter(t.name.lower() for t in tree.find_all(exp.Table))
    renamed: dict[str, str] = {}
    inline: dict[str, exp.CTE] = {}  # name → CTE kept inline, references already renamed
    big = set(large)  # relations and CTEs over a large relation
    steps: list[tuple[str, exp.Expression]] = []
    for cte in with_.expressions:
        name = cte.alias_or_name.lower()
        body = cte.this.copy()
        if _table_names(body) & big:
            big.add(name)
        _rename(body, renamed)
        if uses[name] >= 2 and name in big and _does_work(body):
            needed = _closure(_table_names(body), inline)
            query = body
            if needed:
                query = body.copy()
                query.set("with_", exp.With(expressions=[inline[n].copy() for n in needed]))
            relation = f"{prefix}__{name}"
            steps.append((relation, query))
            renamed[name] = relation
        else:
            inline[name] = exp.CTE(this=body, alias=cte.args["alias"].copy())
    if not steps:
        return [], tree
    final = tree.copy()
    final.set("with_", None)
    _rename(final, renamed)
    needed = _closure(_table_names(final), inline)
    if needed:
        final.set("with_", exp.With(expressions=[inline[n].copy() for n in needed]))
    return steps, final


def _closure(names: set[str], inline: Mapping[str, exp.CTE]) -> list[str]:
    """The inline CTEs `names` reach, in their order of definition."""
    reached: set[str] = set()
    todo = [n for n in names if n in inline]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo += [n for n in _table_names(inline[name].this) if n in inline and n not in reached]
    return [n for n in inline if n in reached]
