"""The warehouse lock, with real processes: one holder at a time, a clear refusal naming it, and
a dead holder's lock taken over by exactly one of the runs that find it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zaitaku_cli.errors import EXIT_BUSY, WarehouseBusy, WarehouseError
from zaitaku_cli.run_lock import RunLock, lock_path, read_holder

# A child that takes the lock, says so, then holds it until its stdin closes (or for HOLD_S
# seconds after a `go` file appears, in the race below). It exits 75 when the lock is busy.
CHILD = """
import sys, time
from pathlib import Path
from zaitaku_cli.errors import WarehouseBusy
from zaitaku_cli.run_lock import RunLock

warehouse, mode = Path(sys.argv[1]), sys.argv[2]
if mode == "race":
    go = Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
lock = RunLock(warehouse, "test child")
try:
    lock.acquire()
except WarehouseBusy as exc:
    print("busy", exc, flush=True)
    sys.exit(75)
print("held", flush=True)
if mode == "race":
    time.sleep(2.0)
else:
    sys.stdin.read()
lock.release()
"""


def _child(warehouse: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(warehouse), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(warehouse: Path, **fields: object) -> Path:
    record = {
        "pid": _dead_pid(),
        "host": socket.gethostname(),
        "started": "2026-12-01T02:00:00+09:00",
        "command": "zaitaku refresh",
        "token": "deadbeef",
        **fields,
    }
    path = lock_path(warehouse)
    path.write_text(json.dumps(record))
    return path


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    with RunLock(warehouse, "zaitaku refresh") as lock:
        record = json.loads(lock_path(warehouse).read_text())
        assert record["pid"] == os.getpid()
        assert record["host"] == socket.gethostname()
        assert record["command"] == "zaitaku refresh"
        assert lock.holder is not None and record["token"] == lock.holder.token
        assert read_holder(warehouse) == lock.holder
    assert not lock_path(warehouse).exists()
    assert read_holder(warehouse) is None


def test_a_second_process_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    holder = _child(warehouse, "hold")
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.perf_counter()
        second = _child(warehouse, "hold")
        out, _ = second.communicate(timeout=60)
        # at once: no waiting for the holder (the child's own start-up is most of this)
        assert time.perf_counter() - started < 30
        assert second.returncode == EXIT_BUSY == 75
        assert out.startswith(
            f"busy the warehouse {warehouse} is in use by test child (pid {holder.pid} on "
            f"{socket.gethostname()}, started "
        )
        assert out.rstrip().endswith("; this run did nothing")
        # in this process too
        with pytest.raises(WarehouseBusy, match=f"test child \\(pid {holder.pid} "):
            RunLock(warehouse, "zaitaku refresh").acquire()
    finally:
        holder.communicate(timeout=60)
    assert holder.returncode == 0
    assert not lock_path(warehouse).exists()


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    _write_lock(warehouse, token="cafe0001")
    with RunLock(warehouse, "zaitaku refresh") as lock:
        assert lock.replaced is not None and lock.replaced.token == "cafe0001"
        assert json.loads(lock_path(warehouse).read_text())["pid"] == os.getpid()
    assert list(tmp_path.iterdir()) == []  # no take-over file or temporary left behind


def test_only_one_of_many_runs_takes_a_stale_lock_over(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    _write_lock(warehouse)
    go = tmp_path / "go"
    children = [_child(warehouse, "race", str(go)) for _ in range(6)]
    time.sleep(1.5)  # let every child start and wait for `go`
    go.touch()
    outputs = [c.communicate(timeout=120)[0] for c in children]
    winners = [o for o in outputs if o == "held\n"]
    losers = [o for o in outputs if o.startswith("busy ")]
    assert (len(winners), len(losers)) == (1, 5), outputs
    assert [c.returncode for c in children].count(EXIT_BUSY) == 5
    assert not lock_path(warehouse).exists()


def test_a_take_over_file_of_a_dead_claimant_is_taken_over_too(tmp_path: Path) -> None:
    # A run died after claiming the take-over of a stale lock and before replacing it.
    warehouse = tmp_path / "zaitaku.duckdb"
    path = _write_lock(warehouse, token="stale1")
    guard = path.with_name(path.name + ".takeover-stale1")
    guard.write_text(
        json.dumps(
            {
                "pid": _dead_pid(),
                "host": socket.gethostname(),
                "started": "2026-12-01T02:00:01+09:00",
                "command": "zaitaku refresh",
                "token": "stale2",
            }
        )
    )
    with RunLock(warehouse, "zaitaku refresh") as lock:
        assert lock.replaced is not None and lock.replaced.token == "stale1"
        assert not guard.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_empty_lock_of_a_process_killed_while_writing_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    path = lock_path(warehouse)
    path.write_bytes(b"")
    old = time.time() - 60
    os.utime(path, (old, old))
    with RunLock(warehouse, "zaitaku refresh") as lock:
        assert lock.holder is not None
        assert json.loads(path.read_text())["token"] == lock.holder.token


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_reused_pid_does_not_keep_a_dead_lock(tmp_path: Path) -> None:
    # The pid is alive (it is this test's), but it started at another time than the holder.
    warehouse = tmp_path / "zaitaku.duckdb"
    _write_lock(warehouse, pid=os.getpid(), proc_start="1")
    with RunLock(warehouse, "zaitaku refresh") as lock:
        assert lock.replaced is not None and lock.replaced.pid == os.getpid()


def test_a_lock_of_another_host_is_never_taken_over(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    path = _write_lock(warehouse, host="batch-server-2", pid=4242)
    with pytest.raises(WarehouseBusy) as err:
        RunLock(warehouse, "zaitaku refresh").acquire()
    assert str(err.value) == (
        f"the warehouse {warehouse} is in use by zaitaku refresh (pid 4242 on batch-server-2, "
        "started 2026-12-01T02:00:00+09:00); this run did nothing — if that machine no longer "
        f"runs zaitaku, delete {path}"
    )
    assert path.exists()


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    warehouse = tmp_path / "typo" / "zaitaku.duckdb"
    with pytest.raises(WarehouseError) as err:
        RunLock(warehouse, "zaitaku refresh").acquire()
    assert str(err.value) == (
        f"cannot create the lock {warehouse}.lock: the folder {warehouse.parent} does not exist "
        "— check the warehouse path"
    )
    assert not (tmp_path / "typo").exists()


def test_release_leaves_a_lock_that_is_not_ours(tmp_path: Path) -> None:
    warehouse = tmp_path / "zaitaku.duckdb"
    lock = RunLock(warehouse, "zaitaku refresh")
    lock.acquire()
    path = _write_lock(warehouse, token="someone-else")
    lock.release()
    assert path.exists()
