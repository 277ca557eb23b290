"""Find and load the SQL files of `sql/` by name, from the wheel or from a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

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
