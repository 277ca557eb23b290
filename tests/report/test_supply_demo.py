"""zaitaku supply and candidates on the bundled sample data (as `make demo` runs them): the 盛岡
area's figures recounted from the files in plain Python, and the commands end to end."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from zaitaku_cli.cli import app
from zaitaku_cli.reference import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
EXAMPLES = ROOT / "examples"
MORIOKA = {"03201", "03214", "03216", "03301", "03302", "03303", "03321", "03322"}


@pytest.fixture(scope="module")
def demo(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report's demo warehouse (make demo's inputs) plus the example survey and hub list."""
    path = tmp_path_factory.mktemp("supply") / "demo.duckdb"
    shutil.copyfile(demo_warehouse, path)
    for kind in ("survey", "hubs"):
        example = str(EXAMPLES / f"{kind}.example.csv")
        result = CliRunner().invoke(app, ["ingest", kind, example, "-w", str(path), "-q"])
        assert result.exit_code == 0, result.output
    return path


def _fy2024_morioka(warehouse: Path) -> tuple[int, int, int]:
    """(patients living in the 盛岡 area with 訪問診療 in FY2024, of them aged 75+, distinct
    facilities of the 盛岡 area billing 訪問診療 in FY2024) from the claims CSV."""
    with (DATA_DIR / "claim_codes.csv").open(encoding="utf-8") as fh:
        codes = {r["code"] for r in csv.DictReader(fh) if r["indicator"] == "houmon_shinryo"}
    # where the list places its facilities: the ingest's address resolution (tests/test_geo)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        morioka_facilities = {
            str(r[0])
            for r in con.execute(
                "select distinct facility_code10 from facility_notifications "
                "where list_contains($codes, code5)",
                {"codes": sorted(MORIOKA)},
            ).fetchall()
        }
    finally:
        con.close()
    persons: dict[str, set[str]] = defaultdict(set)
    facilities: set[str] = set()
    with (RAW / "kdb_claims_sample.csv").open(encoding="cp932") as fh:
        for r in csv.DictReader(fh):
            month = r["診療年月"]
            fiscal = int(month[:4]) - (1 if int(month[4:]) < 4 else 0)
            if r["診療行為コード"] not in codes or fiscal != 2024:
                continue
            if r["市町村コード"][:5] in MORIOKA:
                persons["total"].add(r["被保険者番号"])
                if int(r["年齢"]) >= 75:
                    persons["75plus"].add(r["被保険者番号"])
            if r["医療機関コード"] in morioka_facilities:
                facilities.add(r["医療機関コード"])
    return len(persons["total"]), len(persons["75plus"]), len(facilities)


def test_morioka_recounted(demo: Path, tmp_path: Path) -> None:
    args = ["supply", "--by", "secondary-area", "--pref", "03", "-w", str(demo)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["base_period"] == "FY2024"
    folder = Path(summary["folder"])
    frame = pl.read_parquet(folder / "supply_by_secondary_area_03.parquet")
    morioka = frame.filter((pl.col("area_code") == "0301") & (pl.col("year") == 2030)).row(
        0, named=True
    )
    patients, patients_75, billing = _fy2024_morioka(demo)
    assert (morioka["patients"], morioka["patients_75plus"]) == (patients, patients_75)
    assert morioka["billing_houmon_shinryo"] == billing == 16
    # the survey example: 30 + 15 + 40 + 0 + 5 + 10 + 20 + 0 (one facility gave no number)
    assert (morioka["stated_capacity"], morioka["survey_facilities"]) == (120, 8)
    assert morioka["municipalities_without_hub_names"] == "盛岡市、雫石町"
    assert morioka["projected_75plus_per_billing_facility"] == pytest.approx(
        morioka["projected_patients_75plus"] / 16
    )
    # the projection is the one `zaitaku project` publishes
    projection = CliRunner().invoke(
        app, ["project", "--by", "secondary-area", "-w", str(demo), "--out", str(tmp_path), "-q"]
    )
    assert projection.exit_code == 0, projection.output
    published = pl.read_parquet(
        tmp_path / "projection_secondary_area" / "projection_by_secondary_area.parquet"
    ).filter((pl.col("area_code") == "0301") & (pl.col("year") == 2030))
    cell = published.filter(pl.col("age_group") == "75plus").row(0, named=True)
    assert morioka["projected_patients_75plus"] == cell["projected_patients"]
    total = published.filter(pl.col("age_group") == "total").row(0, named=True)
    assert (morioka["projected_patients"], morioka["projected_patients_suppressed"]) == (
        total["projected_patients"],
        total["suppressed"],
    )


def test_candidates_of_the_demo(demo: Path, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["candidates", "--pref", "03", "-w", str(demo), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "岩手県 (03): candidates per 二次医療圏, activity FY2024" in text
    assert "0301 盛岡 │ 該当なし │ （なし）" in text
    assert "医療法人社団桜会 渡辺整形外科医院 │ 支援診1 │ 14 │ - │ 0" in text
    assert "Warning: 7 areas have no candidate: 盛岡, 胆江, 両磐, 気仙, 釜石, 宮古, 久慈" in text
    areas = pl.read_csv(
        tmp_path / "candidates_03" / "candidate_areas_by_secondary_area_03.csv",
        schema_overrides={"area_code": pl.String},
    )
    assert areas["status"].to_list().count("none") == 7
