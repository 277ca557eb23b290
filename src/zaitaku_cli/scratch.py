"""Scratch files beside the warehouse and the outputs, named after the process that owns them.

A run removes its own scratch on every exit it lives through (errors, Ctrl-C, SIGTERM). What a
killed run (SIGKILL, power loss) leaves behind — tens of MB of Parquet parts that hold raw
被保険者番号 — is removed by the next run, and only when its owner is dead: the name carries
the owner's pid and start time, so a live concurrent run's scratch is never touched, and a
recycled pid is told apart by its start time.

Names: folders `.<kind>-<pid>-<start>-<random>` (e.g. `.claims-4242-73705-k2j4x9`), files
`.<target name>.<pid>-<start>.<random>.tmp` (temp_file_prefix), DuckDB's spill folder
`<warehouse>.tmp`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

__all__ = [
    "SCRATCH_KINDS",
    "owner_tag",
    "process_alive",
    "remove_leftovers",
    "remove_stale_spill",
    "scratch_dir",
    "spill_dir",
    "temp_file_prefix",
]

# Kinds of scratch folder zaitaku makes beside a warehouse (scratch_dir's `kind`).
SCRATCH_KINDS = ("claims", "spark")
_OWNER = r"(?P<pid>\d+)-(?P<start>\d+)"
_FOLDER = re.compile(rf"^\.(?P<kind>[a-z]+)-{_OWNER}-[^.]+$")
_TEMP_FILE = re.compile(rf"^\..+\.{_OWNER}\.[^.]+\.tmp$")
# Before scratch names carried their owner, the claims folder was `.claims-` + tempfile's 8
# random characters. Whose it is cannot be told: it is removed once
# nothing in it has changed for this long, far beyond any real ingest of a run that still lives.
_LEGACY_FOLDER = re.compile(r"^\.claims-[a-z0-9_]{8}$")
LEGACY_AGE_SECONDS = 6 * 3600
# DuckDB names its spill files duckdb_temp_<pid>_<n>_storage_…tmp (+ an _owner file; DuckDB 1.x:
# duckdb_temp_storage…, duckdb_temp_block…)
_SPILL_FILE = re.compile(r"^duckdb_temp")


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, Linux); None where that is unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: count after it
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])  # field 22, starttime
    except (IndexError, ValueError):
        return None


@cache
def owner_tag() -> str:
    """`<pid>-<start>` of this process (start 0 where the platform does not tell it)."""
    pid = os.getpid()
    return f"{pid}-{_start_time(pid) or 0}"


def process_alive(pid: int, start: int) -> bool:
    """Whether the process that wrote `<pid>-<start>` still runs. When in doubt: yes."""
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows: never guess there.
        return True
    if f"{pid}-{start}" == owner_tag():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by another user
    actual = _start_time(pid)
    if actual is None or start == 0:
        return True  # the pid lives and the start time cannot be compared
    return actual == start  # a different start: the pid was recycled, the owner is dead


def _owner_alive(match: re.Match[str]) -> bool:
    return process_alive(int(match["pid"]), int(match["start"]))


@contextmanager
def scratch_dir(parent: Path, kind: str) -> Iterator[Path]:
    """A private folder in `parent` for this run, removed on every exit Python lives through."""
    assert kind in SCRATCH_KINDS, kind
    # absolute: the parts' paths go into DuckDB's SQL, whatever the working folder
    with tempfile.TemporaryDirectory(
        dir=parent.absolute(), prefix=f".{kind}-{owner_tag()}-"
    ) as path:
        yield Path(path)


def temp_file_prefix(name: str) -> str:
    """mkstemp prefix for a temporary file written beside `name` and renamed over it:
    `tempfile.mkstemp(prefix=temp_file_prefix(t.name), suffix=".tmp", dir=t.parent)`."""
    return f".{name}.{owner_tag()}."


def _newest_change(path: Path) -> float:
    newest = path.stat().st_mtime
    for root, _, files in os.walk(path):
        for name in files:
            try:
                newest = max(newest, (Path(root) / name).stat().st_mtime)
            except OSError:
                continue
    return newest


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False  # another run cleaned it first
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the scratch folders and temp files in `folder` whose owner process is dead, and
    return them. Safe while other runs work in the same folder. The warehouse calls it for its
    folder when it opens; the exporter calls it for an output folder before writing there."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        folder_match = _FOLDER.match(name)
        if folder_match and folder_match["kind"] in SCRATCH_KINDS and entry.is_dir():
            stale = not _owner_alive(folder_match)
        elif (file_match := _TEMP_FILE.match(name)) and entry.is_file():
            stale = not _owner_alive(file_match)
        elif _LEGACY_FOLDER.match(name) and entry.is_dir():
            try:
                stale = now - _newest_change(entry) > LEGACY_AGE_SECONDS
            except OSError:
                stale = False
        else:
            continue
        if stale and _remove(entry):
            removed.append(entry)
    return removed


def spill_dir(warehouse: Path) -> Path:
    """Where DuckDB spills beyond its memory limit: beside the warehouse, not in /tmp."""
    return warehouse.parent / (warehouse.name + ".tmp")


def remove_stale_spill(warehouse: Path) -> list[Path]:
    """Remove DuckDB spill files of the warehouse left by a killed run.

    Call only while holding the warehouse's write lock: no other process can be using the
    files then (DuckDB lets one read-write process open a database file).
    """
    folder = spill_dir(warehouse)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if _SPILL_FILE.match(entry.name) and _remove(entry):
            removed.append(entry)
    return removed
