"""Shared by the benchmarks: run a measured Python child in a fresh process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def fresh_warehouse(warehouse: Path) -> None:
    """Remove a previous run's warehouse, WAL and spill folder so every run starts equal."""
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(warehouse.with_name(warehouse.name + ".tmp"), ignore_errors=True)


def run_python(code: str, *args: str) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak RSS MB, the child's last stdout line as JSON) of `python -c code`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=err)
        # wait4 gives this child's own peak RSS; getrusage(RUSAGE_CHILDREN) would report the
        # largest of all children so far (e.g. of other benchmarks run by benchmarks/run.py).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if returncode != 0:
        raise SystemExit(f"benchmark child failed (exit {returncode}):\n{stderr}")
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, peak_mb, json.loads(stdout.strip().splitlines()[-1])
