"""CLI rendering: Rich tables and progress for people, JSON for scripts, nothing for --quiet;
warnings and errors also to the run log (--log / ZAITAKU_LOG), whatever the output mode."""

from __future__ import annotations

import codecs
import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgressBar
from rich.table import Table
from rich.text import Text

from zaitaku_cli.i18n import N_, join, stored, t
from zaitaku_cli.progress import NoProgress, Progress, Unit
from zaitaku_cli.summary import IngestSummary

STATUS_STYLE = {"loaded": "green", "unchanged": "cyan", "refused": "red"}

# Characters CP932 lacks, and the look-alike a Japanese Windows console shows for them (the
# Unicode/CP932 mapping differences: 〜 WAVE DASH is ～ there, — EM DASH is ―).
_LOOKALIKES = {
    "\u301c": "\uff5e",  # 〜 → ～
    "\u2014": "\u2015",  # — → ―
    "\u2016": "\u2225",  # ‖ → ∥
    "\u2212": "\uff0d",  # − → －
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
    "\u2013": "-",  # – EN DASH
}
_ERRORS = "zaitaku-lookalike"


def _lookalike(error: UnicodeError) -> tuple[str, int]:
    """Encode error handler: a look-alike the encoding has, else '?'; never an exception."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start : error.end]:
        alt = _LOOKALIKES.get(ch, "?")
        try:
            alt.encode(error.encoding)
        except UnicodeEncodeError:
            alt = "?"
        out.append(alt)
    return "".join(out), error.end


codecs.register_error(_ERRORS, _lookalike)


def tolerate_narrow_consoles() -> None:
    """Output to a console or file whose encoding lacks a character (a CP932 console has no
    '—', '〜' or '𠮷') shows a look-alike or '?' instead of crashing the command.

    Python's Windows console is UTF-8, but output redirected to a file or another program, or
    PYTHONIOENCODING=cp932, is strict CP932. Called once by the entry point.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors=_ERRORS)


class RunLog:
    """A plain-text log for cron: one line per warning or error, appended, timestamped, with the
    command and its pid, so that the runs of many nights can share one file."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command

    def write(self, level: str, message: str) -> None:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        text = " ".join(message.split())  # one line, whatever the message held
        line = f"{stamp} {level} {self.command} [pid {os.getpid()}]: {text}\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)


class _Shared:
    log: RunLog | None = None  # the running command's log (set by the CLI's error handling)
    # live progress bars, stopped before an error is printed
    bars: ClassVar[set[RichProgress]] = set()


def use_log(log: RunLog | None) -> None:
    """Send the warnings and errors of every Output from now on to `log` too (None: stop)."""
    _Shared.log = log


def log_note(message: str) -> None:
    """A line of what a run is doing (refresh: each file, each export) in the run log, if any."""
    _to_log("INFO", message)


def _to_log(level: str, message: str) -> None:
    log = _Shared.log
    if log is None:
        return
    try:
        log.write(level, message)
    except OSError as exc:
        _Shared.log = None  # say it once, then carry on: the run matters more than its log
        Console(stderr=True).print(
            f"[yellow]{escape(t('Warning:'))}[/yellow]",
            escape(
                t(
                    "cannot write the log {path}: {reason}",
                    path=log.path,
                    reason=exc.strerror or exc,
                )
            ),
            highlight=False,
            soft_wrap=True,
        )


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
        # Escaped (\\uXXXX) where stdout is not UTF-8: still exact JSON on a CP932 console.
        utf = (getattr(sys.stdout, "encoding", None) or "").lower().replace("_", "-")
        ascii_only = not utf.startswith("utf")
        sys.stdout.write(json.dumps(data, ensure_ascii=ascii_only, indent=2, default=str) + "\n")

    def print(self, *objects: Any, markup: bool = True) -> None:
        if not (self.quiet or self.as_json):
            self.out.print(*objects, markup=markup, highlight=False)

    def warn(self, message: str) -> None:
        # --json keeps stdout parseable; warnings are in its document. --quiet means errors
        # only on the terminal; the log keeps every warning.
        _to_log("WARNING", message)
        if not (self.as_json or self.quiet):
            self.err.print(
                f"[yellow]{escape(t('Warning:'))}[/yellow]", escape(message), highlight=False
            )

    def error(self, message: str) -> None:
        _to_log("ERROR", message)
        _stop_bars()
        self.err.print(
            f"[red]{escape(t('Error:'))}[/red]", escape(message), highlight=False, soft_wrap=True
        )

    def interrupted(self, line: str) -> None:
        """The one line of an interrupt ('Interrupted (SIGINT): …')."""
        _to_log("INTERRUPTED", line)
        _stop_bars()
        self.err.print(escape(line), style="red", highlight=False, soft_wrap=True)


def _stop_bars() -> None:
    for bar in list(_Shared.bars):
        bar.finish()


class _Amount(ProgressColumn):
    """How far a task is: 'M/N' steps, or for a file 'MB read / MB, lines, MB/s'."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") != "bytes":
            total = f"{task.total:,.0f}" if task.total is not None else "?"
            return Text(f"{task.completed:,.0f}/{total}", style="progress.download")
        done = task.completed / 1e6
        parts = [
            f"{done:,.1f}/{task.total / 1e6:,.1f} MB"
            if task.total is not None
            else f"{done:,.1f} MB"
        ]
        lines = task.fields.get("lines", 0)
        if lines:
            parts.append(t("{lines:,} lines", lines=lines))
        speed = task.speed or (task.completed / task.elapsed if task.elapsed else None)
        if speed:
            parts.append(f"{speed / 1e6:,.1f} MB/s")
        return Text(" · ".join(parts), style="progress.download")


class RichProgress:
    """Adapter from the core's Progress protocol to a Rich progress bar on stderr."""

    def __init__(self, console: Console) -> None:
        self._bar = RichProgressBar(
            TextColumn("{task.description}"),
            BarColumn(),
            _Amount(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None
        self._lines = 0

    def start(self, description: str, total: int | None = None, *, unit: Unit = "steps") -> None:
        if self._task is None:
            self._bar.start()
            _Shared.bars.add(self)
        else:
            self._bar.remove_task(self._task)
        self._lines = 0
        self._task = self._bar.add_task(description, total=total, unit=unit, lines=0)

    def advance(self, amount: int = 1, *, lines: int = 0) -> None:
        if self._task is not None:
            self._lines += lines
            self._bar.update(self._task, advance=amount, lines=self._lines)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None
            _Shared.bars.discard(self)


# The ingest table's columns: name, right-aligned (a number)
INGEST_COLUMNS = (
    (N_("file"), False),
    (N_("kind"), False),
    (N_("status"), False),
    (N_("as of"), False),
    (N_("read"), True),
    (N_("loaded"), True),
    (N_("rejected"), True),
)


def ingest_table(summaries: Sequence[IngestSummary]) -> Table:
    table = Table(title=t("Ingest"), show_lines=False)
    for name, numeric in INGEST_COLUMNS:
        table.add_column(
            t(name),
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
    """The reasons of the rejected rows and a few examples. A reason is kept in English in the
    warehouse (queries group by it); it is shown in the run's language."""
    for reason, count in sorted(summary.reject_reasons.items(), key=lambda kv: -kv[1]):
        yield f"  {count:,} × {stored(reason)}"
    for ex in summary.reject_examples[:limit]:
        where = []
        if ex.get("row") not in (None, ""):
            where.append(t("row {row}", row=ex["row"]))
        if ex.get("column") not in (None, ""):
            where.append(t("column {column}", column=ex["column"]))
        if ex.get("value") not in (None, ""):
            where.append(t("value {value}", value=stored(str(ex["value"]))))
        reason = stored(ex.get("reason") or "")
        yield "    " + t("e.g. {where}: {reason}", where=join(where), reason=reason)


def frame_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title)
    for i, col in enumerate(columns):
        # the first column names the row (area, file): keep it on one line
        table.add_column(col, overflow="fold", no_wrap=i == 0)
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
    return table
