"""Scratch named after its owner: a dead run's is removed, a live run's never."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zaitaku_cli.scratch import (
    LEGACY_AGE_SECONDS,
    owner_tag,
    process_alive,
    remove_leftovers,
    scratch_dir,
    spill_dir,
    temp_file_prefix,
)
from zaitaku_cli.warehouse import Warehouse

pytestmark = pytest.mark.skipif(os.name == "nt", reason="owners are never judged dead on Windows")


def _start_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19])


@pytest.fixture
def dead_tag() -> str:
    """The <pid>-<start> of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    start = _start_of(proc.pid) if sys.platform.startswith("linux") else 0
    proc.kill()
    proc.wait()
    return f"{proc.pid}-{start}"


@pytest.fixture
def live_tag() -> Iterator[str]:
    """The <pid>-<start> of another process that still runs (a concurrent zaitaku run)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    start = _start_of(proc.pid) if sys.platform.startswith("linux") else 0
    yield f"{proc.pid}-{start}"
    proc.kill()
    proc.wait()


def _folder(parent: Path, name: str) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "part-000.parquet").write_bytes(b"PAR1 raw person keys")
    return folder


def test_a_dead_runs_scratch_goes_a_live_runs_stays(
    tmp_path: Path, dead_tag: str, live_tag: str
) -> None:
    dead = _folder(tmp_path, f".claims-{dead_tag}-abcd1234")
    live = _folder(tmp_path, f".claims-{live_tag}-efgh5678")
    mine = _folder(tmp_path, f".claims-{owner_tag()}-ijkl9012")
    dead_file = tmp_path / f".claims_by_municipality.csv.{dead_tag}.x1y2z3w4.tmp"
    live_file = tmp_path / f".claims_by_municipality.csv.{live_tag}.a1b2c3d4.tmp"
    for f in (dead_file, live_file):
        f.write_text("half-written")
    other = _folder(tmp_path, ".claims-of-someone-else")  # not a name zaitaku makes
    (tmp_path / "zaitaku.duckdb").write_bytes(b"")

    removed = remove_leftovers(tmp_path)

    assert sorted(removed) == sorted([dead, dead_file])
    assert {p.name for p in tmp_path.iterdir()} == {
        live.name,
        mine.name,
        live_file.name,
        other.name,
        "zaitaku.duckdb",
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="start times from /proc")
def test_a_recycled_pid_is_told_apart_by_its_start_time(live_tag: str) -> None:
    pid, start = (int(x) for x in live_tag.split("-"))
    assert process_alive(pid, start)
    # the same pid with another start time: the process that wrote the name is gone
    assert not process_alive(pid, start - 1)


def test_scratch_from_before_owner_names_goes_once_untouched_for_hours(tmp_path: Path) -> None:
    old = _folder(tmp_path, ".claims-k2j4x9ab")
    fresh = _folder(tmp_path, ".claims-q7w8e9rt")
    hours_ago = time.time() - LEGACY_AGE_SECONDS - 60
    for path in (old / "part-000.parquet", old):
        os.utime(path, (hours_ago, hours_ago))

    assert remove_leftovers(tmp_path) == [old]
    assert fresh.exists()


def test_scratch_dir_is_named_after_its_owner_and_removed_on_an_interrupt(
    tmp_path: Path,
) -> None:
    with pytest.raises(KeyboardInterrupt), scratch_dir(tmp_path, "claims") as folder:
        assert folder.name.startswith(f".claims-{owner_tag()}-")
        assert folder.is_absolute()
        (folder / "part-000.parquet").write_bytes(b"raw keys")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_temp_file_prefix_makes_names_the_cleanup_recognises(tmp_path: Path) -> None:
    fd, name = tempfile.mkstemp(
        prefix=temp_file_prefix("manifest_municipality.json"), suffix=".tmp", dir=tmp_path
    )
    os.close(fd)
    assert Path(name).name.startswith(f".manifest_municipality.json.{owner_tag()}.")
    assert remove_leftovers(tmp_path) == []  # its writer (this process) lives


def test_opening_the_warehouse_removes_a_killed_runs_spill_and_scratch(
    tmp_path: Path, dead_tag: str
) -> None:
    path = tmp_path / "zaitaku.duckdb"
    Warehouse(path).close()
    spill = spill_dir(path)
    spill.mkdir()
    # as DuckDB 2.0 names them (seen during a sort beyond memory_limit)
    (spill / "duckdb_temp_16020_0_storage_S32K-0.tmp").write_bytes(b"spilled rows")
    (spill / "duckdb_temp_16020_0_owner").write_bytes(b"")
    scratch = _folder(tmp_path, f".claims-{dead_tag}-abcd1234")

    with Warehouse(path) as wh:
        assert wh.fetch_all("select 42") == [(42,)]

    assert not scratch.exists()
    assert list(spill.iterdir()) == []
