"""Check that every query of `sql/` stays portable to Spark (style.md, "Portable SQL").

Each file is parsed as DuckDB SQL with sqlglot, searched for constructs that have no Spark form
(or only one from Spark 4), and transpiled to Spark SQL with unsupported features raising. The
warehouse's own DDL (`sql/migrations/`) is DuckDB by design and is not checked.

    python tools/check_sql.py [sql]      exit 0 when clean, 1 with one line per finding
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

# Functions of DuckDB that Spark 3.5 lacks or computes differently (lower-case names).
DUCKDB_ONLY = {
    "string_agg": "no Spark 3 form (LISTAGG is Spark 4): aggregate in Python or a separate query",
    "listagg": "Spark 4 only",
    "group_concat": "string_agg/group_concat: no Spark 3 form (LISTAGG is Spark 4)",
    "list": "lists do not transpile cleanly: build a key column",
    "array_agg": "lists do not transpile cleanly",
    "list_aggregate": "lists do not transpile cleanly",
    "struct_pack": "structs do not transpile cleanly",
    "regexp_full_match": "use an anchored regexp_matches (rlike in Spark)",
    "approx_count_distinct": "official counts are exact",
    "median": "no exact Spark equivalent",
    "quantile": "no exact Spark equivalent",
    "quantile_cont": "no exact Spark equivalent",
    "quantile_disc": "no exact Spark equivalent",
    "mode": "no Spark 3 equivalent",
    "read_csv": "file paths stay in Python: read a table or view by name",
    "read_csv_auto": "file paths stay in Python",
    "read_parquet": "file paths stay in Python",
    "read_json": "file paths stay in Python",
}

# Text patterns sqlglot parses silently but Spark lacks (checked on the text without comments).
TEXT_RULES = [
    (re.compile(r"\bgroup\s+by\s+all\b", re.I), "group by all: list the columns"),
    (re.compile(r"\bunion\s+(all\s+)?by\s+name\b", re.I), "union by name: list the columns"),
    (re.compile(r"\*\s*(exclude|replace)\s*\(", re.I), "* exclude/replace: list the columns"),
    (re.compile(r"\basof\s+join\b", re.I), "ASOF JOIN has no Spark form"),
    (re.compile(r"\binsert\s+or\s+replace\b", re.I), "INSERT OR REPLACE has no Spark form"),
    (re.compile(r"\breturning\b", re.I), "RETURNING has no Spark form"),
    (re.compile(r"count\s*\(\s*distinct\s*\(", re.I), "count(distinct (a, b)): build a key column"),
]

_COMMENT = re.compile(r"--[^\n]*")


def _untyped_nulls(tree: exp.Expression) -> Iterator[str]:
    """`null as x` in a select list: Spark's ANSI mode wants cast(null as <type>)."""
    for alias in tree.find_all(exp.Alias):
        if isinstance(alias.this, exp.Null):
            yield f"untyped null as {alias.alias}: write cast(null as <type>)"


def _functions(tree: exp.Expression) -> Iterator[str]:
    for node in tree.find_all(exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in DUCKDB_ONLY:
            yield f"{name}(): {DUCKDB_ONLY[name]}"


def _count_distincts(tree: exp.Expression) -> Iterator[str]:
    """At most one count(distinct) per select: Spark expands several into an Expand of the rows."""
    for select in tree.find_all(exp.Select):
        counts = [
            c
            for c in select.expressions
            for c in c.find_all(exp.Count)
            if isinstance(c.this, exp.Distinct)
        ]
        if len(counts) > 1:
            yield f"{len(counts)} count(distinct …) in one select: split the query"


def check_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    findings = [
        message for pattern, message in TEXT_RULES if pattern.search(_COMMENT.sub("", text))
    ]
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except SqlglotError as exc:
        return [*findings, f"does not parse as DuckDB SQL: {exc}"]
    for tree in trees:
        if tree is None:
            continue
        findings += [*_functions(tree), *_untyped_nulls(tree), *_count_distincts(tree)]
        try:
            tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as exc:
            findings.append(f"does not transpile to Spark: {exc}")
    return findings


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path("sql")
    failed = 0
    files = sorted(p for p in root.rglob("*.sql") if "migrations" not in p.parts)
    for path in files:
        for finding in dict.fromkeys(check_file(path)):
            print(f"{path}: {finding}")
            failed += 1
    if failed:
        print(f"{failed} portability finding(s) in {len(files)} files (style.md, Portable SQL)")
        return 1
    print(f"{len(files)} SQL files portable to Spark")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
