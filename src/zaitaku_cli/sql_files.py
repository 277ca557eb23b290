"""Find and load the SQL files of `sql/` by name, from the wheel or from a checkout."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from zaitaku_cli.errors import ReferenceDataError


@cache
def sql_root() -> Path:
    """The wheel ships `sql/` as `zaitaku_cli/sql`; an editable checkout keeps it at the top."""
    packaged = Path(__file__).parent / "sql"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "sql"
    if checkout.is_dir():
        return checkout
    raise ReferenceDataError(
        "SQL files not found in {packaged} or {checkout}: reinstall zaitaku",
        packaged=packaged,
        checkout=checkout,
    )


@cache
def load_sql(name: str) -> str:
    """Text of `sql/<name>.sql`, e.g. load_sql("marts/facilities_by_area")."""
    path = sql_root() / f"{name}.sql"
    if not path.is_file():
        raise ReferenceDataError("missing SQL file {path}", path=path)
    return path.read_text(encoding="utf-8")


def migration_files() -> list[tuple[int, Path]]:
    """Numbered migrations `sql/migrations/NNN_name.sql`, in order."""
    found = []
    for path in sorted((sql_root() / "migrations").glob("*.sql")):
        found.append((int(path.name.split("_", 1)[0]), path))
    return found


@cache
def query_parameters(name: str) -> frozenset[str]:
    """The `$named` parameters `sql/<name>.sql` really uses, read from its parsed SQL.

    Parsed, not searched for in the text: a `$name` in a comment or a string is not a parameter.
    A file without any `$` has none, and is not parsed (a parse costs tens of milliseconds).
    """
    text = load_sql(name)
    if "$" not in text:
        return frozenset()
    import sqlglot
    from sqlglot import exp

    names: set[str] = set()
    for tree in sqlglot.parse(text, read="duckdb"):
        if tree is not None:
            names.update(node.name for node in tree.find_all(exp.Placeholder, exp.Parameter))
    return frozenset(names)


def bind_parameters(name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values of `params` that `sql/<name>.sql` uses; a parameter it uses but that is not
    given is a programming error, raised here with the file's name rather than by the engine."""
    given = params or {}
    used = query_parameters(name)
    missing = sorted(used - given.keys())
    if missing:
        raise ValueError(f"sql/{name}.sql uses ${', $'.join(missing)}: no value given")
    return {key: given[key] for key in sorted(used)}
