"""CLI rendering: Rich tables and progress for people, JSON for scripts, nothing for --quiet."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgressBar
from rich.table import Table

from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.summary import IngestSummary

STATUS_STYLE = {"loaded": "green", "unchanged": "cyan", "refused": "red"}


class Output:
    """Where and how a command speaks: stdout for results, stderr for progress and errors."""

    def __init__(self, *, quiet: bool = False, as_json: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json
        self.out = Console(soft_wrap=False)
        self.err = Console(stderr=True)

    def progress(self) -> Progress:
        if self.quiet or self.as_json or not self.err.is_terminal:
            return NoProgress()
        return RichProgress(self.err)

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")

    def print(self, *objects: Any, markup: bool = True) -> None:
        if not (self.quiet or self.as_json):
            self.out.print(*objects, markup=markup, highlight=False)

    def warn(self, message: str) -> None:
        # --json keeps stdout parseable; warnings are in its document. --quiet means errors only.
        if not (self.as_json or self.quiet):
            self.err.print("[yellow]Warning:[/yellow]", escape(message), highlight=False)

    def error(self, message: str) -> None:
        self.err.print("[red]Error:[/red]", escape(message), highlight=False, soft_wrap=True)


class RichProgress:
    """Adapter from the core's Progress protocol to a Rich progress bar on stderr."""

    def __init__(self, console: Console) -> None:
        self._bar = RichProgressBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None

    def start(self, description: str, total: int | None = None) -> None:
        if self._task is None:
            self._bar.start()
        else:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


def ingest_table(summaries: Sequence[IngestSummary]) -> Table:
    table = Table(title="Ingest", show_lines=False)
    for name in ("file", "kind", "status", "as of", "read", "loaded", "rejected"):
        numeric = name in {"read", "loaded", "rejected"}
        table.add_column(
            name,
            justify="right" if numeric else "left",
            # fold rather than cut: the file name is what the analyst looks for
            overflow="fold",
        )
    for s in summaries:
        style = STATUS_STYLE.get(s.status, "")
        table.add_row(
            Path(s.file).name,
            s.kind,
            f"[{style}]{s.status}[/{style}]" if style else s.status,
            s.as_of.isoformat() if s.as_of else "-",
            # an unchanged file loaded nothing this time: its first load is in `zaitaku status`
            *(
                ("-", "-", "-")
                if s.status == "unchanged"
                else (f"{s.rows_read:,}", f"{s.rows_loaded:,}", f"{s.rows_rejected:,}")
            ),
        )
    return table


def reject_lines(summary: IngestSummary, limit: int = 5) -> Iterable[str]:
    for reason, count in sorted(summary.reject_reasons.items(), key=lambda kv: -kv[1]):
        yield f"  {count:,} × {reason}"
    for ex in summary.reject_examples[:limit]:
        where = ", ".join(
            f"{k} {ex[k]}" for k in ("row", "column", "value") if ex.get(k) not in (None, "")
        )
        yield f"    e.g. {where}: {ex.get('reason', '')}"


def frame_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title)
    for i, col in enumerate(columns):
        # the first column names the row (area, file): keep it on one line
        table.add_column(col, overflow="fold", no_wrap=i == 0)
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
    return table


class LogFile:
    """--log FILE: timestamped lines appended to a file, warnings included, so that a cron run
    explains itself in the morning even with -q."""

    def __init__(self, path: Path, command: str) -> None:
        import os

        from zaitaku_cli.errors import ConfigError

        self.path = path
        self.tag = f"{command}[{os.getpid()}]"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the log file {path}: {exc.strerror or exc}") from exc

    def line(self, text: str) -> None:
        from datetime import datetime

        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        for part in text.splitlines() or [""]:
            self._fh.write(f"{stamp} {self.tag} {part}\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
