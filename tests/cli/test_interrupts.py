"""Interrupts: one line that tells the truth, exit 130/143, nothing half-kept, nothing left.

Real signals to a real `python -m zaitaku_cli ingest claims` on an extract large enough to be
caught mid-load: workers stopped, no scratch folder, the file whole or not at all; after a
SIGKILL the next run removes what was left. The extracts are generated once for the module:
1,000,000 lines (72 MB, read by two worker processes) for the reading phase, 400,000 (29 MB,
read in-process) for the loading phase. The phase a signal hits is observed from outside: the
scratch folder and the worker processes (children of the run) while it reads; every Parquet
part complete (its footer written) while DuckDB checks and loads.

The moments a signal can hardly be aimed at from outside — just after a commit, between two
files — are hit in-process: the handler is installed and the signal sent from inside the
ingest, at that moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from factories.claims import claim, write_extract
from zaitaku_cli import ingest_claims
from zaitaku_cli.cli import app, interrupts
from zaitaku_cli.demo.claims_extract import write_claims_extract

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="watches worker processes through /proc"
)

LINES = 1_000_000
SOME_LINES = 400_000
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def big_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_claims_extract(tmp_path_factory.mktemp("extract") / "big.csv", rows=LINES, seed=3)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    return write_claims_extract(folder / "kdb.csv", rows=SOME_LINES, seed=4)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[1] == str(pid):
            found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait long for a reaper in containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _scratch(folder: Path) -> list[Path]:
    return sorted(folder.glob(".claims-*"))


class Run:
    """One zaitaku process in `folder` (its cwd, beside the warehouse)."""

    def __init__(self, folder: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZAITAKU_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zaitaku_cli", *args],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # a shell's background job ignores SIGINT, and children inherit that: undo it,
            # as a terminal's foreground job has it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def finish(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, out.decode(), err.decode()


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:  # a failed assertion must not leave a run behind
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()


def _ingest(folder: Path, extract: Path, runs: list[Run]) -> Run:
    run = Run(folder, "ingest", "claims", str(extract), "-w", "zaitaku.duckdb")
    runs.append(run)
    return run


def _reading(run: Run, folder: Path) -> list[int]:
    """Wait until the workers read the extract; return their pids."""
    workers: list[int] = []

    def started() -> bool:
        workers[:] = _children(run.proc.pid)
        return bool(_scratch(folder)) and len(workers) == 2

    _wait_for(started, "the reading workers")
    return workers


def _loading(folder: Path) -> None:
    """Wait until the extract is read (every part ends with Parquet's footer, PAR1) and DuckDB
    checks and loads its lines."""

    def read() -> bool:
        parts = [p for s in _scratch(folder) for p in s.glob("part-*.parquet")]
        return bool(parts) and all(_complete(p) for p in parts)

    _wait_for(read, "the extract to be read")
    assert _scratch(folder), "the load had already finished: the extract is too small"


def _complete(part: Path) -> bool:
    try:
        with part.open("rb") as fh:
            fh.seek(-4, os.SEEK_END)
            return fh.read() == b"PAR1"
    except OSError:
        return False


def _warehouse(folder: Path) -> tuple[int, list[tuple[int, int]]]:
    """(claim lines, [(ingest id, rows loaded)]) of the warehouse in `folder`."""
    with duckdb.connect(str(folder / "zaitaku.duckdb"), read_only=True) as con:
        lines = con.execute("select count(*) from claim_lines").fetchall()[0][0]
        log = con.execute("select ingest_id, rows_loaded from ingest_log").fetchall()
    return int(lines), [(int(i), int(n)) for i, n in log]


@linux_only
def test_sigterm_while_reading_stops_the_workers_and_keeps_nothing(
    tmp_path: Path, big_extract: Path, runs: list[Run]
) -> None:
    run = _ingest(tmp_path, big_extract, runs)
    workers = _reading(run, tmp_path)
    run.proc.send_signal(signal.SIGTERM)
    code, _, err = run.finish()

    assert code == 143
    assert err == "Interrupted (SIGTERM): nothing of big.csv was kept.\n"
    assert _scratch(tmp_path) == []
    # The run kills the workers it knows; one it was still starting when the signal came
    # (spawned, not yet listed) sees its parent gone within 0.2 s and exits by itself.
    _wait_for(lambda: not [w for w in workers if _running(w)], "the workers to stop")
    assert _warehouse(tmp_path) == (0, [])


@linux_only
def test_sigint_while_loading_tells_whether_the_file_was_committed(
    tmp_path: Path, extract: Path, runs: list[Run]
) -> None:
    run = _ingest(tmp_path, extract, runs)
    _loading(tmp_path)
    run.proc.send_signal(signal.SIGINT)
    code, _, err = run.finish()

    assert code == 130
    assert "Traceback" not in err
    assert _scratch(tmp_path) == []
    # The signal lands in DuckDB's checks and inserts, or (on a slow day) just after the
    # commit: either way the line says which, and the warehouse agrees — whole file or none.
    if err == "Interrupted (SIGINT): kdb.csv was loaded (ingest #1); the interrupt came after.\n":
        assert _warehouse(tmp_path) == (SOME_LINES, [(1, SOME_LINES)])
    else:
        assert err == "Interrupted (SIGINT): nothing of kdb.csv was kept.\n"
        assert _warehouse(tmp_path) == (0, [])


@linux_only
def test_after_sigkill_while_reading_the_workers_stop_and_the_next_run_cleans_up(
    tmp_path: Path, big_extract: Path, runs: list[Run]
) -> None:
    run = _ingest(tmp_path, big_extract, runs)
    workers = _reading(run, tmp_path)
    run.proc.kill()
    run.proc.wait()
    left = _scratch(tmp_path)
    assert len(left) == 1 and left[0].name.startswith(f".claims-{run.proc.pid}-")

    # orphans notice their parent is gone (they poll every 0.2 s) and exit: none writes on
    _wait_for(lambda: not [w for w in workers if _running(w)], "the orphaned workers to exit")
    status = Run(tmp_path, "status", "-w", "zaitaku.duckdb", "--json")
    runs.append(status)
    code, out, err = status.finish()

    assert (code, out.strip(), err) == (0, "[]", "")
    assert _scratch(tmp_path) == []
    assert _warehouse(tmp_path) == (0, [])


@linux_only
def test_after_sigkill_while_loading_nothing_of_the_file_is_kept(
    tmp_path: Path, extract: Path, runs: list[Run]
) -> None:
    run = _ingest(tmp_path, extract, runs)
    _loading(tmp_path)
    run.proc.kill()
    run.proc.wait()
    assert len(_scratch(tmp_path)) == 1

    status = Run(tmp_path, "status", "-w", "zaitaku.duckdb", "--json")
    runs.append(status)
    code, out, _ = status.finish()

    assert (code, out.strip()) == (0, "[]")
    assert _scratch(tmp_path) == []
    assert _warehouse(tmp_path) == (0, [])


# -- in-process: the signal sent at a chosen moment ------------------------------------------
@pytest.fixture
def handlers() -> Iterator[None]:
    """zaitaku's handlers, as main() installs them; the test process's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    interrupts.install()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def _three_extracts(folder: Path) -> list[str]:
    """a.csv, b.csv, c.csv: one valid line each, for three different months (no overlap)."""
    return [
        str(write_extract(folder / f"{name}.csv", [claim(診療年月=month)]))
        for name, month in (("a", "202304"), ("b", "202305"), ("c", "202306"))
    ]


def _lines_by_file(warehouse: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            (str(name), int(n))
            for name, n in con.execute(
                "select g.file_name, count(l.ingest_id) from ingest_log as g "
                "left join claim_lines as l on l.ingest_id = g.ingest_id "
                "group by g.file_name order by g.file_name"
            ).fetchall()
        ]


def test_a_signal_just_after_a_commit_says_the_file_was_loaded(
    runner: CliRunner, tmp_path: Path, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ingest_claims.ingest_claim_extract

    def then_sigterm_after_b(wh: object, path: Path, **kwargs: object) -> object:
        summary = real(wh, path, **kwargs)  # type: ignore[arg-type]
        if path.name == "b.csv":
            # committed, its summary not yet back with the CLI: the window of issue 7 §1.3
            os.kill(os.getpid(), signal.SIGTERM)
        return summary

    monkeypatch.setattr(ingest_claims, "ingest_claim_extract", then_sigterm_after_b)
    wh = tmp_path / "zaitaku.duckdb"
    result = runner.invoke(app, ["ingest", "claims", *_three_extracts(tmp_path), "-w", str(wh)])

    assert result.exit_code == 143
    assert result.stdout == ""
    assert result.stderr == (
        "Interrupted (SIGTERM): b.csv was loaded (ingest #2); the interrupt came after; "
        "loaded before it: a.csv (ingest #1); not started: c.csv.\n"
    )
    assert _lines_by_file(wh) == [("a.csv", 1), ("b.csv", 1)]


def test_a_signal_before_the_commit_keeps_nothing_of_that_file(
    runner: CliRunner, tmp_path: Path, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ingest_claims._check_and_load

    def sigint_in_the_transaction_of_b(wh: object, path: Path, *args: object) -> object:
        summary = real(wh, path, *args)  # type: ignore[arg-type]
        if path.name == "b.csv":
            # b's lines are inserted, its transaction not yet committed
            os.kill(os.getpid(), signal.SIGINT)
        return summary

    monkeypatch.setattr(ingest_claims, "_check_and_load", sigint_in_the_transaction_of_b)
    wh = tmp_path / "zaitaku.duckdb"
    result = runner.invoke(app, ["ingest", "claims", *_three_extracts(tmp_path), "-w", str(wh)])

    assert result.exit_code == 130
    assert result.stderr == (
        "Interrupted (SIGINT): nothing of b.csv was kept; loaded before it: a.csv (ingest #1); "
        "not started: c.csv.\n"
    )
    assert _lines_by_file(wh) == [("a.csv", 1)]
    assert list(tmp_path.glob(".claims-*")) == []


def test_a_signal_after_the_last_file_says_all_were_loaded(
    runner: CliRunner, tmp_path: Path, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zaitaku_cli.cli import ingest as ingest_cli

    real = ingest_cli.render_ingest

    def sigterm_then_render(*args: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_cli, "render_ingest", sigterm_then_render)
    wh = tmp_path / "zaitaku.duckdb"
    paths = _three_extracts(tmp_path)[:2]
    result = runner.invoke(app, ["ingest", "claims", *paths, "-w", str(wh)])

    assert result.exit_code == 143
    assert result.stderr == (
        "Interrupted (SIGTERM): a.csv (ingest #1), b.csv (ingest #2) were loaded; "
        "the interrupt came after.\n"
    )


def test_other_commands_say_they_were_interrupted(
    runner: CliRunner, tmp_path: Path, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zaitaku_cli import warehouse

    def interrupted(self: object) -> list[object]:
        raise KeyboardInterrupt  # Python's own SIGINT, as without main()'s handler

    monkeypatch.setattr(warehouse.Warehouse, "ingests", interrupted)
    wh = tmp_path / "zaitaku.duckdb"
    warehouse.Warehouse(wh).close()
    result = runner.invoke(app, ["status", "-w", str(wh)])

    assert (result.exit_code, result.stderr) == (130, "Interrupted (SIGINT).\n")


def test_a_signal_a_library_swallowed_still_ends_as_interrupted_and_is_logged(
    runner: CliRunner, tmp_path: Path, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zaitaku_cli import warehouse

    real = warehouse.Warehouse.ingests

    def swallowing(self: warehouse.Warehouse) -> list[dict[str, object]]:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises here
        except interrupts.Interrupted:
            pass  # as a library might (DuckDB turns it into its own error)
        return real(self)

    monkeypatch.setattr(warehouse.Warehouse, "ingests", swallowing)
    wh = tmp_path / "zaitaku.duckdb"
    warehouse.Warehouse(wh).close()
    log = tmp_path / "zaitaku.log"
    result = runner.invoke(app, ["status", "-w", str(wh), "--json", "--log", str(log)])

    assert (result.exit_code, result.stdout, result.stderr) == (
        143,
        "[]\n",
        "Interrupted (SIGTERM).\n",
    )
    assert log.read_text(encoding="utf-8").split("]: ", 1)[1] == "Interrupted (SIGTERM).\n"
    assert " INTERRUPTED zaitaku " in log.read_text(encoding="utf-8")
