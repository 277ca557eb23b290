"""Shared by the benchmarks: run a measured Python child in a fresh process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Code every child runs first: the target machine's core count (BENCH_CPUS), set before DuckDB
# or polars size their thread pools.
PIN = """
import os
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:int(os.environ["BENCH_CPUS"])])
"""

# A Progress for children that remembers how long each phase took (by its description).
PHASES = """
import time


class Phases:
    def __init__(self):
        self.times, self.current, self.started = {}, None, 0.0

    def start(self, description, total=None, *, unit="steps"):
        self.current, self.started = description.split(": ", 1)[-1], time.perf_counter()

    def advance(self, amount=1, *, lines=0):
        pass

    def finish(self):
        self.times[self.current] = time.perf_counter() - self.started
"""


def fresh_warehouse(warehouse: Path) -> None:
    """Remove a previous run's warehouse, WAL and spill folder so every run starts equal."""
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(warehouse.with_name(warehouse.name + ".tmp"), ignore_errors=True)


def run_pinned(code: str, *args: str, cpus: int) -> tuple[float, float, dict[str, Any]]:
    """run_python of `code` on `cpus` cores (PIN first)."""
    return run_python(PIN + code, *args, env={"BENCH_CPUS": str(cpus)})


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak RSS MB, the child's last stdout line as JSON) of `python -c code`,
    with `env` added to this process's environment."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
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


OUT = Path(__file__).resolve().parents[1] / "bench-out"


def claims_extract(rows: int, seed: int = 0) -> Path:
    """The cached benchmark extract, shared by the claims benchmarks; regenerated when the
    generator's source changes."""
    from zaitaku_cli.demo import claims_extract as generator

    tag = hashlib.sha256(Path(generator.__file__).read_bytes()).hexdigest()[:8]
    path = OUT / f"claims_{rows}_seed{seed}_{tag}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        tmp = path.with_suffix(".partial.csv")
        generator.write_claims_extract(tmp, rows=rows, seed=seed)
        tmp.replace(path)
        print(
            f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
    return path
