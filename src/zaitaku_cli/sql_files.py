"""Find and load the SQL files of `sql/` by name, from the wheel or from a checkout."""

from __future__ import annotations

import re
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


# The SQL tokens a `$name` can hide in (comments, quoted strings and identifiers, a doubled
# quote escaping), or a parameter.
_PARAMETER_OR_NOT = re.compile(
    r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$([A-Za-z_][A-Za-z0-9_]*)", re.S
)


@cache
def query_parameters(name: str) -> frozenset[str]:
    """The `$named` parameters `sql/<name>.sql` really uses: a `$name` in a comment or a
    string is not a parameter.

    Read with a lexer of comments and quotes, not a parser: every process binds the parameters
    of the dozens of files a run executes, and parsing them (sqlglot) took about 0.2 s of each
    run. tests/test_sql_files.py holds the lexer to sqlglot's parse on every packaged file.
    """
    found = (m.group(1) for m in _PARAMETER_OR_NOT.finditer(load_sql(name)))
    return frozenset(p for p in found if p)


def bind_parameters(name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values of `params` that `sql/<name>.sql` uses; a parameter it uses but that is not
    given is a programming error, raised here with the file's name rather than by the engine."""
    given = params or {}
    used = query_parameters(name)
    missing = sorted(used - given.keys())
    if missing:
        raise ValueError(f"sql/{name}.sql uses ${', $'.join(missing)}: no value given")
    return {key: given[key] for key in sorted(used)}
