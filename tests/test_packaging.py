"""The wheel carries sql/ and the reference data, so an installed zaitaku finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

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
