"""The wheel carries sql/ and the reference data, so an installed zaitaku finds them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_sql_and_reference_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("zaitaku-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for sql in (ROOT / "sql").rglob("*.sql"):
        assert f"zaitaku_cli/sql/{sql.relative_to(ROOT / 'sql').as_posix()}" in names
    assert "zaitaku_cli/reference/data/juri_kigo.csv" in names
    assert "zaitaku_cli/reference/data/PROVENANCE.md" in names


@pytest.mark.slow
def test_wheelhouse_installs_offline_into_a_fresh_venv(tmp_path: Path) -> None:
    """`make wheelhouse` for this machine, then install.sh as on a PC without internet.

    The wheelhouse is built by the same script (`--native`: this platform and Python only;
    pip's cache makes it quick). The install runs with no pip configuration and `--no-index`,
    into a folder with Japanese characters and spaces, as analysts name them.
    """
    house = tmp_path / "wheelhouse"
    built = subprocess.run(
        [sys.executable, str(ROOT / "install" / "wheelhouse.py"), "--out", str(house), "--native"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    names = {p.name for p in house.iterdir()}
    assert {"install.bat", "install.sh", "targets.txt", "SHA256SUMS"} <= names
    assert any(n.startswith("zaitaku-") and n.endswith(".whl") for n in names)
    for line in (house / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((house / name).read_bytes()).hexdigest() == digest

    # A clean PC: no pip configuration, no index, no other folder of wheels.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "ZAITAKU_"))}
    base = getattr(sys, "_base_executable", sys.executable)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_COMPILE="1", PYTHON=base)
    home = tmp_path / "在宅 医療"
    target = home / "zaitaku 環境"
    installed = subprocess.run(
        ["sh", str(house / "install.sh"), str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Successfully installed" in installed.stdout
    assert "Downloading" not in installed.stdout

    zaitaku = target / "bin" / "zaitaku"
    help_text = subprocess.run([str(zaitaku), "--help"], env=env, capture_output=True, text=True)
    assert help_text.returncode == 0, help_text.stderr
    assert "ingest" in help_text.stdout
    warehouse = home / "倉庫" / "zaitaku.duckdb"
    warehouse.parent.mkdir()
    ingest = subprocess.run(
        [
            str(zaitaku),
            "ingest",
            "facilities",
            str(ROOT / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"),
            "-w",
            str(warehouse),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ingest.returncode == 0, ingest.stderr
    (summary,) = json.loads(ingest.stdout)["ingested"]
    assert summary["status"] == "loaded"
    assert summary["rows_loaded"] > 0


def test_install_bat_is_ascii_with_crlf_line_ends() -> None:
    # cmd.exe reads a .bat in the console code page and mishandles LF-only files around labels.
    raw = (ROOT / "install" / "install.bat").read_bytes()
    raw.decode("ascii")
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert b"--no-index" in raw
    script = (ROOT / "install" / "install.sh").read_bytes()
    assert b"\r" not in script
    assert b"--no-index" in script


def test_the_sql_portability_check_catches_duckdb_only_constructs(tmp_path: Path) -> None:
    # tools/check_sql.py runs in `make lint`; it must reject what Spark cannot run.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "check_sql", Path(__file__).resolve().parents[1] / "tools" / "check_sql.py"
    )
    assert spec and spec.loader
    check_sql = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_sql)
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "select a, string_agg(b, ';') as bs, null as c, count(distinct a), count(distinct b)\n"
        "from t group by all",
        encoding="utf-8",
    )
    findings = " | ".join(check_sql.check_file(bad))
    assert "group by all" in findings
    assert "group_concat()" in findings  # string_agg parses as group_concat
    assert "untyped null as c" in findings
    assert "2 count(distinct …) in one select" in findings
    good = tmp_path / "good.sql"
    good.write_text("select a, cast(null as varchar) as c from t group by a", encoding="utf-8")
    assert check_sql.check_file(good) == []
