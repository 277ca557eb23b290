"""A warehouse loaded with the bundled sample data (as `make demo` loads it) and the report of
岩手県 written from it once per session: the content tests and the browser test read the same
file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zaitaku_cli.cli import app

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


@dataclass
class DemoReport:
    warehouse: Path
    html_path: Path
    html: str
    png_dir: Path
    json_summary: str


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    runner = CliRunner()
    for args in (
        ["ingest", "facilities", str(RAW / "bureau_tohoku_2025-10.xlsx")],
        ["ingest", "facility-counts", str(RAW / "iwate_morioka_counts.csv"), "--pref", "03"],
        ["ingest", "claims", str(RAW / "kdb_claims_sample.csv")],
    ):
        result = runner.invoke(app, [*args, "-w", str(path), "-q"])
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session")
def demo_report(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "岩手県 報告.html"  # a Japanese name with a space, as analysts name files
    png = folder / "png"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--pref",
            "03",
            "--out",
            str(out),
            "--png",
            str(png),
            "-w",
            str(demo_warehouse),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return DemoReport(
        warehouse=demo_warehouse,
        html_path=out,
        html=out.read_text(encoding="utf-8"),
        png_dir=png,
        json_summary=result.stdout,
    )
