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
