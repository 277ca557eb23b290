"""Crash safety and privacy, done for real (issue 7 §4).

`zaitaku refresh` runs in a subprocess over a drop folder of every kind and is killed with
SIGKILL at several points of its export: the warehouse holds whole files, every published set
still matches its own manifest, and the next refresh publishes files byte-identical to those of
an uninterrupted run. A claims ingest killed while it reads leaves its scratch folder behind:
that folder, the warehouse, every output (workbooks and Parquet opened up), the report and the
logs are searched for every person key of the inputs — raw, and the warehouse's keyed hash
outside the warehouse.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zaitaku_cli.demo.claims_extract import write_claims_extract

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
TIMEOUT = 240.0

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="signals and /proc as on Linux"
)
pytestmark = [linux_only, pytest.mark.slow]


def zaitaku(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZAITAKU_")}
    return subprocess.Popen(
        [sys.executable, "-m", "zaitaku_cli", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "160"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(*args: str, cwd: Path) -> str:
    proc = zaitaku(*args, cwd=cwd)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, f"zaitaku {' '.join(args)}: {out}\n{err}"
    return out


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


CONFIG = """
warehouse = "wh/zaitaku.duckdb"
out_dir = "out"
log = "logs/zaitaku.log"

[refresh.inputs]
drop = "inbox"

[refresh.export]
levels = ["prefecture", "secondary-area", "municipality"]
plans = ["8th"]
periods = ["fiscal-year"]
"""


def project(folder: Path) -> Path:
    """A working folder with a config, a drop folder of every kind and an empty warehouse
    folder."""
    (folder / "inbox").mkdir(parents=True)
    (folder / "wh").mkdir()
    (folder / "logs").mkdir()
    (folder / "zaitaku.toml").write_text(CONFIG, encoding="utf-8")
    for name in ("bureau_tohoku_2025-10.xlsx", "iwate_morioka_counts.csv", "kdb_claims_sample.csv"):
        shutil.copyfile(RAW / name, folder / "inbox" / name)
    return folder


def published(out: Path) -> dict[str, str]:
    """sha256 of every data file of every published set (manifests aside: they carry times)."""
    found = {}
    for link in sorted(p for p in out.iterdir() if not p.name.startswith(".")):
        for path in sorted(link.iterdir()):
            if path.suffix in {".csv", ".parquet"}:
                found[f"{link.name}/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def sets_match_their_manifests(out: Path) -> None:
    for link in (p for p in out.iterdir() if not p.name.startswith(".")):
        (manifest_path,) = link.glob("manifest_*.json")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["outputs"]:
            data = (link / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], (link, entry["file"])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = project(tmp_path_factory.mktemp("uninterrupted"))
    run("refresh", "-q", cwd=folder)
    files = published(folder / "out")
    assert {name.split("/")[0] for name in files} == {
        "prefecture",
        "secondary_area",
        "municipality",
    }
    return files


def committed_sets(out: Path) -> int:
    return sum(1 for p in out.iterdir() if p.is_symlink()) if out.exists() else 0


def staging(out: Path, after: int) -> Callable[[], bool]:
    """True once `after` sets are published and the next one is being written."""

    def check() -> bool:
        if committed_sets(out) < after:
            return False
        return any(p.name.count(".partial-") for p in out.glob(".sets/*/*"))

    return check


@pytest.mark.parametrize("after", [0, 1, 2], ids=["first set", "second set", "third set"])
def test_a_refresh_killed_during_export_recovers_byte_for_byte(
    tmp_path: Path, uninterrupted: dict[str, str], after: int
) -> None:
    folder = project(tmp_path)
    out = folder / "out"
    proc = zaitaku("refresh", "-q", cwd=folder)
    wait_for(staging(out, after), proc, f"the export of set {after + 1}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)

    # Every file was ingested whole before the export started.
    con = duckdb.connect(str(folder / "wh" / "zaitaku.duckdb"), read_only=True)
    try:
        kinds = con.execute("select kind, rows_loaded from ingest_log order by kind").fetchall()
        lines = con.execute("select count(*) from claim_lines").fetchall()[0][0]
    finally:
        con.close()
    assert [k for k, _ in kinds] == ["claims", "facilities", "facility_counts"]
    assert lines == dict(kinds)["claims"]
    # What was published before the kill is whole and matches its manifest; nothing else shows.
    assert committed_sets(out) == after
    sets_match_their_manifests(out)

    run("refresh", "-q", cwd=folder)
    assert published(out) == uninterrupted
    sets_match_their_manifests(out)
    # the staging folder of the killed run is gone
    assert not [p for p in out.glob(".sets/*/*") if ".partial-" in p.name]


# -- person keys ----------------------------------------------------------------------------
def person_keys(extract: Path) -> set[str]:
    lines = extract.read_bytes().decode("cp932").splitlines()
    position = lines[0].split(",").index("被保険者番号")
    return {line.split(",")[position] for line in lines[1:] if line}


# Every run of 10 digits (the generator's 被保険者番号), and of 64 hex digits (a person key),
# wherever it starts: a lookahead finds overlapping windows, so a key inside a longer run of
# digits is found too. One pass per file, instead of one search per key.
RAW_KEY = re.compile(rb"(?=([0-9]{10}))")
HASHED_KEY = re.compile(rb"(?=([0-9a-f]{64}))")


def windows(data: bytes, pattern: re.Pattern[bytes]) -> set[str]:
    return {m.decode("ascii") for m in pattern.findall(data)}


def texts(path: Path) -> Iterator[tuple[str, bytes]]:
    """The bytes a person could read from `path`: files as they are, and opened up where they
    are compressed (workbooks and other zips, Parquet)."""
    data = path.read_bytes()
    yield str(path), data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield f"{path}:{member}", archive.read(member)
    if path.suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except pa.ArrowInvalid:  # a part the killed run had begun: its bytes are read above
            return
        yield f"{path} (values)", str(table.to_pylist()).encode("utf-8")


def warehouse_strings(path: Path) -> str:
    """Every value of every table of the warehouse, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return "\n".join(
            str(con.execute(f'select * from "{table}"').fetchall()) for table in tables
        )
    finally:
        con.close()


def test_no_person_key_is_left_anywhere(tmp_path: Path) -> None:
    folder = project(tmp_path)
    # a larger extract, so that a claims ingest can be killed while it reads
    big = write_claims_extract(tmp_path / "big.csv", rows=600_000, seed=11)
    keys = person_keys(RAW / "kdb_claims_sample.csv") | person_keys(big)
    run("refresh", "-q", cwd=folder)
    run("aggregate", "--by", "municipality", "--xlsx", "-q", cwd=folder)
    run("project", "--by", "secondary-area", "-q", cwd=folder)
    run("report", "--pref", "03", "--out", "out/report.html", "--png", "out/png", cwd=folder)

    proc = zaitaku("ingest", "claims", str(big), "-q", cwd=folder)
    wh = folder / "wh"
    wait_for(
        lambda: any(p.stat().st_size > 0 for p in wh.glob(".claims-*/**/*.parquet")),
        proc,
        "the reader's first part",
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)
    left = list(wh.glob(".claims-*"))
    assert left, "the killed run left its scratch folder (the next run removes it)"

    with duckdb.connect(str(wh / "zaitaku.duckdb"), read_only=True) as con:
        hashed = {r[0] for r in con.execute("select person_key from persons").fetchall()}
    assert len(hashed) == len(person_keys(RAW / "kdb_claims_sample.csv"))

    # the search finds keys where they are: in the input itself
    assert person_keys(big) <= windows(big.read_bytes(), RAW_KEY)
    found = []
    # every file of the project but the inputs themselves: warehouse, WAL, spill and scratch
    # folders, output sets, workbooks, report, PNGs, logs
    everywhere = [
        p
        for p in folder.rglob("*")
        if p.is_file() and "inbox" not in p.relative_to(folder).parts and p != big
    ]
    for path in everywhere:
        beside_warehouse = path.relative_to(folder).parts[0] == "wh"
        for where, data in texts(path):
            found += [(where, key) for key in sorted(keys & windows(data, RAW_KEY))]
            if not beside_warehouse:  # the keyed hash is the warehouse's own, kept in it
                found += [(where, "its keyed hash") for _ in hashed & windows(data, HASHED_KEY)]
    strings = warehouse_strings(wh / "zaitaku.duckdb").encode("utf-8")
    found += [("a warehouse table", key) for key in sorted(keys & windows(strings, RAW_KEY))]
    assert found == []
