"""Output sets: every file of a run and its manifest become visible together, or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from zaitaku_cli.output_sets import OutputSetError, output_set


def publish(out: Path, n: int) -> None:
    """A set of three files whose manifest holds the hashes of the other two."""
    with output_set(out, "municipality") as files:
        files.write_bytes("a.csv", f"a,{n}\r\n".encode())
        files.write_table(pa.table({"n": [n] * 1000}), "b", metadata={"run": n})
        files.write_json("manifest.json", {"n": n, "outputs": list(files.entries)})


def consistent(folder: Path) -> bool:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["outputs"]:
        data = (folder / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            return False
    return (folder / "a.csv").read_bytes() == f"a,{manifest['n']}\r\n".encode()


def test_files_appear_together_under_the_set_name(tmp_path: Path) -> None:
    publish(tmp_path, 1)
    folder = tmp_path / "municipality"
    assert sorted(p.name for p in folder.iterdir()) == [
        "a.csv",
        "b.csv",
        "b.parquet",
        "manifest.json",
    ]
    assert consistent(folder)


def test_a_reader_never_sees_a_mix_while_sets_are_replaced(tmp_path: Path) -> None:
    publish(tmp_path, 0)
    # A reader resolves the folder once per read, as a person opening the files would.
    stop = threading.Event()
    seen: list[bool] = []

    def read() -> None:
        while not stop.is_set():
            folder = (tmp_path / "municipality").resolve()
            try:
                seen.append(consistent(folder))
            except FileNotFoundError:
                # only possible for a set two generations old, pruned while being read
                continue

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(1, 40):
        publish(tmp_path, n)
    stop.set()
    reader.join()
    assert seen and all(seen)


def test_an_error_inside_the_block_keeps_the_previous_set(tmp_path: Path) -> None:
    publish(tmp_path, 1)
    with pytest.raises(RuntimeError), output_set(tmp_path, "municipality") as files:
        files.write_bytes("a.csv", b"half")
        raise RuntimeError("disk full")
    assert (tmp_path / "municipality" / "a.csv").read_bytes() == b"a,1\r\n"
    versions = list((tmp_path / ".sets" / "municipality").iterdir())
    assert len(versions) == 1 and ".partial-" not in versions[0].name


def test_staging_of_a_killed_writer_is_removed_by_the_next_run(tmp_path: Path) -> None:
    # A writer killed by SIGKILL leaves its staging folder; its pid is gone.
    dead = tmp_path / ".sets" / "municipality" / "20260101T000000000000-dead.partial-999999999"
    dead.mkdir(parents=True)
    (dead / "a.csv").write_text("half")
    live = dead.with_name(f"20260101T000000000000-live.partial-{os.getpid()}")
    live.mkdir()
    publish(tmp_path, 1)
    assert not dead.exists()
    assert live.exists()  # a live writer's staging is never touched


def test_a_real_folder_of_an_older_layout_is_replaced(tmp_path: Path) -> None:
    old = tmp_path / "municipality"
    old.mkdir()
    (old / "stale.csv").write_text("old")
    publish(tmp_path, 1)
    assert (tmp_path / "municipality").is_symlink()
    assert not (tmp_path / "municipality" / "stale.csv").exists()


def test_without_symlinks_folders_are_swapped_by_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows without developer mode cannot create symlinks.
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError("symbolic link privilege not held")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    publish(tmp_path, 1)
    publish(tmp_path, 2)
    folder = tmp_path / "municipality"
    assert folder.is_dir() and not folder.is_symlink()
    assert consistent(folder)
    assert (folder / "a.csv").read_bytes() == b"a,2\r\n"


def test_an_output_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputSetError, match="cannot write into"):
        publish(blocker, 1)
