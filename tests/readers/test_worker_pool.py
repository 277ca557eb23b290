"""The worker pool: a failing worker named, an interrupt that leaves no worker behind."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from factories.claims import claim, write_extract
from zaitaku_cli.progress import NoProgress
from zaitaku_cli.readers import worker_pool
from zaitaku_cli.readers.claims_extract import ClaimsMapping, read_layout
from zaitaku_cli.readers.claims_parsing import parse_extract, parse_range
from zaitaku_cli.readers.worker_pool import WorkerFailed, run_jobs

SECRET = b"test-secret-of-32-bytes-exactly!"


def job_args(source: Path, dst: Path) -> tuple[Any, ...]:
    # parse_range's plain arguments: the whole of `source` (11 columns, person in c2) into dst
    return (str(source), 0, 10_000, str(dst), "utf-8", ",", "h\n", ",", 11, ["c2"])


def test_a_failing_worker_says_why(tmp_path: Path) -> None:
    # Two workers reading files that are not there: each dies of FileNotFoundError, the last
    # line of its stderr; the pool raises it as WorkerFailed.
    jobs = [job_args(tmp_path / f"gone{i}.csv", tmp_path / f"p{i}.parquet") for i in range(2)]
    with pytest.raises(WorkerFailed) as err:
        run_jobs(parse_range, jobs, NoProgress(), secret=SECRET)
    [line] = err.value.failure
    assert line.startswith("FileNotFoundError: [Errno 2] No such file or directory: ")
    assert "gone0.csv" in line


def test_one_job_runs_here_and_raises_what_it_raises(tmp_path: Path) -> None:
    jobs = [job_args(tmp_path / "gone.csv", tmp_path / "p.parquet")]
    with pytest.raises(FileNotFoundError):
        run_jobs(parse_range, jobs, NoProgress(), secret=SECRET)


def test_an_interrupt_stops_the_workers_already_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        if len(started) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third worker starts
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(worker_pool.subprocess, "Popen", popen)
    path = write_extract(tmp_path / "a.csv", [claim(被保険者番号=f"P{i:09d}") for i in range(300)])
    layout = read_layout(path, ClaimsMapping(), encoding="auto")
    with pytest.raises(KeyboardInterrupt):
        parse_extract(layout, tmp_path, secret=SECRET, workers=3)
    # both were still starting their interpreter (≥ 0.1 s): stopped, not left to finish
    assert [p.returncode for p in started] == [-signal.SIGKILL, -signal.SIGKILL]
