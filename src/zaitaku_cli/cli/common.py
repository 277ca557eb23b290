"""What every command shares: option types, choices, error handling and opening the warehouse.

Exit codes: 0 success (also when a file was already ingested), 1 a data or input problem
(the message names file, row and column), 2 a usage error (unknown option, bad value),
75 the warehouse is in use by another zaitaku process (errors.EXIT_BUSY).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output
from zaitaku_cli.errors import EXIT_BUSY, WarehouseError, ZaitakuError
from zaitaku_cli.run_history import Run, recorded_run
from zaitaku_cli.run_lock import RunLock
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

# Wider results are only written to files: a terminal table of 200 municipalities helps no one.
MAX_TABLE_ROWS = 60

EXIT_CODES_HELP = (
    "Exit codes: 0 success (also 'unchanged' re-ingests, and a refresh with nothing new); "
    "1 data or input error, the message names file, row and column; 2 usage error; "
    f"{EXIT_BUSY} the warehouse is in use by another zaitaku run (try again later)."
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


def _require(warehouse: Path) -> None:
    if not warehouse.exists():
        raise WarehouseError(
            f"no warehouse at {warehouse}: check --warehouse / $ZAITAKU_WAREHOUSE, "
            "or load data first with `zaitaku ingest …`"
        )


def open_warehouse(path: Path | None, *, must_exist: bool = False) -> Warehouse:
    """Open (or, for ingest, create) the warehouse. Commands that only read it refuse a missing
    file: a mistyped path must not quietly create an empty warehouse."""
    settings = resolve_settings(warehouse=path)
    if must_exist:
        _require(settings.warehouse)
    return Warehouse(settings.warehouse, memory_limit=settings.memory_limit)


@contextmanager
def warehouse_run(
    path: Path | None, command: str, *, must_exist: bool = False
) -> Iterator[tuple[Warehouse, Run]]:
    """The warehouse for a command that changes it: its lock taken (another run → exit 75
    naming the holder), then opened, the run recorded in run_history (`zaitaku runs`)."""
    settings = resolve_settings(warehouse=path)
    if must_exist:
        _require(settings.warehouse)
    else:
        # ingest may start a warehouse; the lock file goes beside it
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with (
        RunLock(settings.warehouse, command),
        Warehouse(settings.warehouse, memory_limit=settings.memory_limit) as wh,
        recorded_run(wh, command) as run,
    ):
        yield wh, run


def record_ingests(run: Run, summaries: list[IngestSummary]) -> None:
    """What run_history keeps of an ingest: per file its kind, status and row counts."""
    run.files = [
        {
            "path": s.file,
            "kind": s.kind,
            "status": s.status,
            "rows_loaded": s.rows_loaded,
            "rows_rejected": s.rows_rejected,
        }
        for s in summaries
    ]
    run.warnings = [w for s in summaries for w in s.warnings]
