"""The history of runs against a warehouse (table run_history, migration 005): `zaitaku runs`.

A run is recorded when it starts (status 'running') and completed when it ends, in its own
small transactions, outside any ingest's: a failed ingest rolls back its data, never the record
that it failed. A row left 'running' by a process that is gone (killed, power cut) is marked
'killed' by the next run on the same host.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import duckdb

from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.run_lock import LockHolder
from zaitaku_cli.warehouse import Warehouse, WarehouseRecords

__all__ = ["Run", "recent_runs", "recorded_run"]

# Exit codes of a process stopped by SIGINT (Ctrl-C): 128 + 2.
_EXIT_INTERRUPTED = 130


@dataclass
class Run:
    """One run being recorded; the command fills files, outputs and warnings as it goes."""

    command: str
    run_id: int
    started: float = field(default_factory=time.perf_counter)
    files: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # How a block that returns normally is recorded: 'ok', 'nothing_new' for a refresh with
    # no work, or 'failed' with its exit code and error for a batch that reports its failure
    # instead of raising it.
    status: str = "ok"
    exit_code: int = 0
    error: str | None = None


def _mark_killed(wh: Warehouse) -> None:
    host = socket.gethostname()
    for run_id, pid in wh.running_runs(host):
        holder = LockHolder(pid=pid, host=host, started="", command="", token="")
        if not holder.is_alive():
            wh.mark_run_killed(run_id)


def start_run(wh: Warehouse, command: str) -> Run:
    _mark_killed(wh)
    run_id = wh.record_run_start(command, host=socket.gethostname(), pid=os.getpid())
    return Run(command=command, run_id=run_id)


def finish_run(
    wh: Warehouse, run: Run, *, status: str, exit_code: int, error: str | None = None
) -> None:
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    wh.record_run_end(
        run.run_id,
        status=status,
        exit_code=exit_code,
        files=dump(run.files),
        outputs=dump(run.outputs),
        warnings=dump(run.warnings),
        error=error,
        seconds=round(time.perf_counter() - run.started, 3),
    )


@contextmanager
def recorded_run(wh: Warehouse, command: str) -> Iterator[Run]:
    """Record the block as one run: ok (or run.status) when it returns, failed with the
    message of a ZaitakuError, interrupted on Ctrl-C; the exception goes on as it was."""
    run = start_run(wh, command)
    try:
        yield run
    except ZaitakuError as exc:
        _finish_quietly(wh, run, status="failed", exit_code=exc.exit_code, error=str(exc))
        raise
    except KeyboardInterrupt:
        _finish_quietly(wh, run, status="interrupted", exit_code=_EXIT_INTERRUPTED)
        raise
    except BaseException as exc:
        _finish_quietly(wh, run, status="failed", exit_code=1, error=type(exc).__name__)
        raise
    finish_run(wh, run, status=run.status, exit_code=run.exit_code, error=run.error)


def _finish_quietly(wh: Warehouse, run: Run, **how: Any) -> None:
    # The error being raised is what the analyst must see: a warehouse too broken to take the
    # record (DuckDB invalidated by the failure itself) must not replace it with its own.
    with suppress(duckdb.Error):
        finish_run(wh, run, **how)


def recent_runs(records: WarehouseRecords, limit: int = 20) -> list[dict[str, Any]]:
    """The last `limit` runs, newest first, with files/outputs/warnings decoded."""
    runs = records.recent_runs(limit)
    for run in runs:
        for key in ("files", "outputs", "warnings"):
            run[key] = json.loads(run[key])
    return runs
