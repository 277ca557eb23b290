"""What every command shares: option types, choices, error handling and opening the warehouse.

Exit codes: 0 success (also when a file was already ingested), 1 a data or input problem
(the message names file, row and column), 2 a usage error (unknown option, bad value).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output
from zaitaku_cli.errors import WarehouseError, ZaitakuError
from zaitaku_cli.warehouse import Warehouse

# Wider results are only written to files: a terminal table of 200 municipalities helps no one.
MAX_TABLE_ROWS = 60

EXIT_CODES_HELP = (
    "Exit codes: 0 success (also 'unchanged' re-ingests); 1 data or input error, "
    "the message names file, row and column; 2 usage error."
)


class Level(StrEnum):
    municipality = "municipality"
    ward = "ward"
    secondary_area = "secondary-area"
    prefecture = "prefecture"


class Plan(StrEnum):
    eighth = "8th"
    seventh = "7th"


class Period(StrEnum):
    fiscal_year = "fiscal-year"
    month = "month"


class CsvEncoding(StrEnum):
    utf8_bom = "utf-8-sig"
    utf8 = "utf-8"
    cp932 = "cp932"


class ClaimsEncoding(StrEnum):
    auto = "auto"
    cp932 = "cp932"
    utf8 = "utf-8"


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB warehouse file. Default: $ZAITAKU_WAREHOUSE, zaitaku.toml, "
        "then data/zaitaku.duckdb.",
        show_default=False,
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (cron).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (scripts).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="List date YYYY-MM-DD; overrides the date in the title row.",
        show_default=False,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(func: F) -> F:
    """Turn zaitaku's own exceptions into one 'Error: …' line and exit 1 (usage stays exit 2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZaitakuError as exc:
            Output().error(str(exc))
            raise typer.Exit(exc.exit_code) from exc

    return wrapper  # type: ignore[return-value]


def parse_date_option(value: str | None, option: str = "--as-of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2025-10-01", param_hint=option
        ) from exc


def open_warehouse(path: Path | None, *, must_exist: bool = False) -> Warehouse:
    """Open (or, for ingest, create) the warehouse. Commands that only read it refuse a missing
    file: a mistyped path must not quietly create an empty warehouse."""
    settings = resolve_settings(warehouse=path)
    if must_exist and not settings.warehouse.exists():
        raise WarehouseError(
            f"no warehouse at {settings.warehouse}: check --warehouse / $ZAITAKU_WAREHOUSE, "
            "or load data first with `zaitaku ingest …`"
        )
    return Warehouse(settings.warehouse, memory_limit=settings.memory_limit)
