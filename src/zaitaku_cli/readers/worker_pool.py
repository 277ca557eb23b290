"""Run one job per part of a large file, each in a worker process of its own.

The claims reader cuts an extract into parts and reads them in parallel with this: CPython
holds the GIL while it decodes CP932 (~150 MB/s on one core), so threads would not help. The
pool knows nothing of claims: a job is a module-level function of zaitaku_cli taking plain,
JSON-able arguments (and `report`, and `secret` when one is given), returning JSON-able results.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zaitaku_cli.progress import Progress

__all__ = ["Report", "WorkerFailed", "run_jobs", "workers_for"]

_MIN_PART_BYTES = 32 << 20
_MAX_WORKERS = 8

# report(bytes read, lines read) as a job reads its part: how the progress bar moves
Report = Callable[[int, int], None]


class WorkerFailed(Exception):
    """A worker process exited with an error; `failure` is the last line it wrote to stderr
    (the exception it died of), if any."""

    def __init__(self, failure: list[str]) -> None:
        super().__init__(" ".join(failure))
        self.failure = failure


def workers_for(size: int) -> int:
    """How many workers a file of `size` bytes is worth on this machine."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    # Starting a worker costs ~0.2 s (interpreter + imports): worth it from ~32 MB a part.
    return max(1, min(cpus, _MAX_WORKERS, size // _MIN_PART_BYTES))


# A worker is a fresh interpreter running one job function: unlike multiprocessing's spawn, it
# never re-imports the caller's __main__, so library users need no `if __name__` guard. It
# leaves Ctrl-C to its parent (which stops it; the terminal sends SIGINT to the whole group) and
# exits as soon as its parent is gone (SIGKILL), so that no orphan goes on writing beside the
# warehouse.
# It tells its progress as it reads, one line per block on stdout ("progress BYTES LINES"), and
# its result as the last line (JSON). The HMAC secret of person keys comes on stdin (hex, one
# line; empty for jobs without one), never on the command line, which other users can read.
_WORKER = (
    "import importlib, json, os, signal, sys, threading, time\n"
    "secret = bytes.fromhex(sys.stdin.readline().strip())\n"
    "sys.stdin.close()\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "def _watch(parent):\n"
    "    while os.getppid() == parent:\n"
    "        time.sleep(0.2)\n"
    "    os._exit(1)\n"
    "threading.Thread(target=_watch, args=(int(sys.argv[3]),), daemon=True).start()\n"
    "def _report(done, lines):\n"
    "    sys.stdout.write(f'progress {done} {lines}\\n')\n"
    "    sys.stdout.flush()\n"
    "module, _, name = sys.argv[1].partition(':')\n"
    "job = getattr(importlib.import_module(module), name)\n"
    "kwargs = {'secret': secret} if secret else {}\n"
    "print(json.dumps(job(*json.loads(sys.argv[2]), report=_report, **kwargs)))\n"
)
_PROGRESS = b"progress "


def run_jobs(
    job: Callable[..., Any],
    jobs: list[tuple[Any, ...]],
    progress: Progress,
    *,
    secret: bytes = b"",
) -> list[Any]:
    """Run `job` once per argument tuple, each in its own process (one job runs here), and
    return the results in order. Progress advances by the bytes and lines each job reports as
    it reads a block, so that the bar moves while the parts are read, not as each one ends.
    However this ends — an error, an interrupt — no worker outlives it. A `secret` is handed to
    each job as its `secret` argument (through the worker's stdin).

    A job run here raises what it raises; a worker that fails raises WorkerFailed.
    """
    # The worker imports the job by name: only a module-level function of the package will do.
    name = f"{job.__module__}:{job.__qualname__}"
    assert job.__module__.startswith("zaitaku_cli.") and "." not in job.__qualname__, name
    kwargs = {"secret": secret} if secret else {}

    def advance(done: int, lines: int) -> None:
        progress.advance(done, lines=lines)

    if len(jobs) == 1:
        # Small files (and one-CPU machines) are done in this process.
        return [json.loads(json.dumps(job(*jobs[0], report=advance, **kwargs)))]
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
    }
    procs: list[subprocess.Popen[bytes]] = []
    errors: list[Any] = []  # each worker's stderr, kept in a file: its last line says why
    heard: queue.Queue[tuple[int, bytes | None]] = queue.Queue()
    printed: list[list[bytes]] = [[] for _ in jobs]
    results = []
    failure = None
    files = contextlib.ExitStack()
    try:
        for i, args in enumerate(jobs):
            err = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `files`, however this ends)
            errors.append(files.enter_context(err))
            proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER, name, json.dumps(args), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors[-1],
                env=env,
            )
            procs.append(proc)
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # a worker that died at start: see below
                proc.stdin.write(secret.hex().encode("ascii") + b"\n")
                proc.stdin.close()
            threading.Thread(target=_listen, args=(i, proc.stdout, heard), daemon=True).start()
        talking = len(jobs)
        while talking:
            try:
                i, line = heard.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                talking -= 1
            elif line.startswith(_PROGRESS):
                done, lines = line[len(_PROGRESS) :].split()
                advance(int(done), int(lines))
            else:
                printed[i].append(line)
        for proc, said, err in zip(procs, printed, errors, strict=True):
            if proc.wait() != 0:
                err.seek(0)
                text = err.read().decode("utf-8", "replace").strip()
                failure = failure or text.splitlines()[-1:]
                continue
            results.append(json.loads(b"".join(said)))
    finally:
        _stop(procs)
        files.close()
    if failure is not None:
        raise WorkerFailed(failure)
    return results


def _listen(index: int, stream: Any, heard: queue.Queue[tuple[int, bytes | None]]) -> None:
    """Hand each line worker `index` prints to the parent's loop; None when it is done."""
    try:
        for line in stream:
            heard.put((index, line))
    except (OSError, ValueError):  # the stream closed under us: the run is being stopped
        pass
    heard.put((index, None))


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill the workers still running and reap them all (their parts are scratch anyway)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
    for proc in procs:
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
