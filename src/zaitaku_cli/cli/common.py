"""What every command shares: option types, choices, error handling and opening the warehouse.

Exit codes: 0 success (also when a file was already ingested), 1 a data or input problem
(the message names file, row and column), 2 a usage error (unknown option, bad value), 75 the
warehouse is busy (another run holds it), 130 / 143 interrupted by SIGINT / SIGTERM.
"""

from __future__ import annotations

import functools
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer

from zaitaku_cli.choices import LEVELS
from zaitaku_cli.cli import interrupts
from zaitaku_cli.config import Settings, resolve_settings
from zaitaku_cli.console import Output, RunLog, use_log
from zaitaku_cli.errors import EXIT_BUSY, ConfigError, WarehouseError, ZaitakuError
from zaitaku_cli.i18n import N_, t
from zaitaku_cli.pref_codes import pref_code
from zaitaku_cli.run_history import Run, recorded_run
from zaitaku_cli.run_lock import RunLock
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

# Wider results are only written to files: a terminal table of 200 municipalities helps no one.
MAX_TABLE_ROWS = 60

# Levels and sources as titles name them, t(level): the codes stay as they are in the files.
SHOWN_CODES = (*LEVELS, N_("bureau_list"), N_("count_table"))

EXIT_CODES_HELP = (
    "Exit codes: 0 success (also 'unchanged' re-ingests, and a refresh with nothing new); "
    "1 data or input error, "
    "the message names file, row and column; 2 usage error; "
    f"{EXIT_BUSY} the warehouse is in use by another run (try again later); "
    f"{interrupts.EXIT_SIGINT} interrupted (Ctrl-C, SIGINT); {interrupts.EXIT_SIGTERM} "
    "terminated (SIGTERM, e.g. a cron timeout) — after an interrupt the message says which "
    "files were kept, and nothing half-loaded is."
)


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
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print nothing but errors (cron); warnings still go to --log."
    ),
]
LogOpt = Annotated[
    Path | None,
    typer.Option(
        "--log",
        help="Append warnings and errors to this file, one timestamped line each (also with "
        "--quiet and --json). Default: $ZAITAKU_LOG, then `log` in zaitaku.toml.",
        show_default=False,
        dir_okay=False,
    ),
]
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
    """The CLI boundary: zaitaku's own exceptions become one 'Error: …' line and their exit code
    (1, or 75 when the warehouse is busy); an interrupt becomes one 'Interrupted …' line and
    exit 130 (SIGINT) or 143 (SIGTERM). Usage errors stay Typer's exit 2.

    A command with a `log` option (LogOpt) gets its warnings and errors appended to that log.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        interrupts.reset()
        try:
            if "log" in kwargs:
                use_log(_run_log(kwargs["log"]))
            result = func(*args, **kwargs)
            signum = interrupts.pending()
            if signum is not None:
                # The signal came, but a library swallowed what the handler raised and the
                # command finished. Still say so and exit as interrupted: the caller asked it
                # to stop.
                raise interrupts.Interrupted(signum)
        except BaseException as exc:
            # Not a catch-all: anything that is neither an interrupt nor one of ours is
            # re-raised as it was (typer.Exit included).
            signum = interrupts.signal_of(exc)
            if signum is not None:
                Output().interrupted(interrupts.message(signum))
                raise typer.Exit(128 + signum) from None
            if isinstance(exc, duckdb.OutOfMemoryException):
                exc = _out_of_memory(exc)
            if isinstance(exc, ZaitakuError):
                Output().error(str(exc))
                raise typer.Exit(exc.exit_code) from exc
            raise
        finally:
            use_log(None)
        return result

    return wrapper  # type: ignore[return-value]


def _run_log(option: Path | None) -> RunLog | None:
    """The log of this command (--log, $ZAITAKU_LOG or zaitaku.toml), checked before any work:
    a cron job must not run for an hour and then fail to say what happened."""
    return open_run_log(resolve_settings(log=option).log)


def open_run_log(path: Path | None) -> RunLog | None:
    """A checked RunLog at `path` (None: no log); `refresh` opens the one its --config names."""
    if path is None:
        return None
    if not path.parent.is_dir():
        raise ConfigError(
            "the folder of the log {path} does not exist: create it, or check --log / $ZAITAKU_LOG",
            path=path,
        )
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ConfigError(
            "cannot write the log {path}: {reason}", path=path, reason=exc.strerror or exc
        ) from exc
    # the command line as cron ran it: which command, on which files
    return RunLog(path, shlex.join(["zaitaku", *sys.argv[1:]]))


def _out_of_memory(exc: duckdb.OutOfMemoryException) -> ZaitakuError:
    """DuckDB's out-of-memory outside an open warehouse (inside one, Warehouse says more)."""
    return ZaitakuError(
        "DuckDB ran out of memory ({detail}). Raise the limit with "
        "ZAITAKU_MEMORY_LIMIT or memory_limit in zaitaku.toml (e.g. 4GB); beyond it DuckDB "
        "spills beside the warehouse: check the free disk space there",
        detail=str(exc).splitlines()[0],
    )


def parse_date_option(value: str | None, option: str = "--as-of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            t("{value!r} is not a date like 2025-10-01", value=value), param_hint=option
        ) from exc


def parse_pref(value: str | None) -> str | None:
    """'3' or '03' → '03'; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    code = pref_code(value)
    if code is None:
        raise typer.BadParameter(
            t("{value!r} is not a 都道府県コード 01–47", value=value), param_hint="--pref"
        )
    return code


def open_warehouse(path: Path | None, *, must_exist: bool = False) -> Warehouse:
    """Open (or, for ingest, create) the warehouse.

    Commands that only read it refuse a missing file, and no command creates a folder for it
    except the default `data/`: a mistyped path must not quietly start an empty warehouse
    (nor send a cron job's data to one).
    """
    settings = _warehouse_settings(path, must_exist=must_exist)
    return Warehouse(settings.warehouse, memory_limit=settings.memory_limit)


def _warehouse_settings(path: Path | None, *, must_exist: bool) -> Settings:
    settings = resolve_settings(warehouse=path)
    target = settings.warehouse
    source = settings.sources.get("warehouse", "default")
    if must_exist and not target.exists():
        raise WarehouseError(
            "no warehouse at {path}: check --warehouse / $ZAITAKU_WAREHOUSE, "
            "or load data first with `zaitaku ingest …`",
            path=target,
        )
    if not target.parent.is_dir():
        if source != "default":
            raise WarehouseError(
                "the folder {folder} of the warehouse {path} (from {source}) does not "
                "exist: check the path for a typo, or create the folder first if a new "
                "warehouse there is what you want",
                folder=target.parent,
                path=target,
                source=source,
            )
        target.parent.mkdir(parents=True)
    return settings


@contextmanager
def warehouse_run(
    path: Path | None, command: str, *, must_exist: bool = False
) -> Iterator[tuple[Warehouse, Run]]:
    """The warehouse for a command that changes it: its lock taken (another zaitaku run → exit
    75 naming it), then opened as open_warehouse does, the run recorded in run_history."""
    settings = _warehouse_settings(path, must_exist=must_exist)
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
