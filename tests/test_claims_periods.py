"""The claims mart computed period by period with a cache: always the same table as one run over
every line, while periods whose lines and inputs did not change are taken from the cache."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from factories.claims import claim, write_extract
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.claims_periods import CACHE_TABLE
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.warehouse import Warehouse

SAMPLE = Path(__file__).parents[1] / "data" / "raw" / "kdb_claims_sample.csv"
BUREAU = Path(__file__).parents[1] / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"


def _split_sample(tmp_path: Path) -> tuple[Path, Path]:
    """The sample extract (FY2023 and FY2024) as two files: FY2023, then FY2024."""
    lines = SAMPLE.read_bytes().split(b"\r\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    month = 6  # 診療年月 is the 7th column
    first = [r for r in rows if r.split(b",")[month] < b"202404"]
    second = [r for r in rows if r.split(b",")[month] >= b"202404"]
    assert first and second
    a, b = tmp_path / "fy2023.csv", tmp_path / "fy2024.csv"
    a.write_bytes(b"\r\n".join([header, *first]) + b"\r\n")
    b.write_bytes(b"\r\n".join([header, *second]) + b"\r\n")
    return a, b


def _both(wh: Warehouse, **choice: str) -> tuple[dict[str, int], bool]:
    """(periods computed/reused, whether the cached build equals a build over every line)."""
    cached = build_claims_by_area(wh, reuse_periods=True, **choice)  # type: ignore[arg-type]
    full = build_claims_by_area(wh, **choice)  # type: ignore[arg-type]
    return cached.periods, cached.table.equals(full.table)


@pytest.mark.parametrize(
    ("level", "period"),
    [("municipality", "fiscal-year"), ("secondary-area", "month"), ("prefecture", "fiscal-year")],
)
def test_a_new_year_reuses_the_old_one_and_the_table_is_the_same(
    warehouse: Warehouse, tmp_path: Path, level: str, period: str
) -> None:
    fy2023, fy2024 = _split_sample(tmp_path)
    ingest_facility_lists(warehouse, [BUREAU])
    ingest_claim_extracts(warehouse, [fy2023])
    months = 12 if period == "month" else 1  # periods of FY2023
    assert _both(warehouse, level=level, period=period) == ({"computed": months, "reused": 0}, True)
    ingest_claim_extracts(warehouse, [fy2024])
    # FY2023's periods come from the cache; FY2024's (1 year or 12 months) are computed
    assert _both(warehouse, level=level, period=period) == (
        {"computed": months, "reused": months},
        True,
    )
    # nothing changed: every period from the cache
    assert _both(warehouse, level=level, period=period) == (
        {"computed": 0, "reused": 2 * months},
        True,
    )


def test_the_grid_of_old_periods_grows_with_a_new_prefecture(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # FY2023: a 盛岡市 resident only, so only 岩手's areas are in the grid. FY2024 brings a
    # resident of 石巻市 (04202, check digit 1): in one run over every line, 宮城's areas get
    # zero rows in FY2023 too, and so they must when FY2023 comes from the cache.
    ingest_claim_extracts(warehouse, [write_extract(tmp_path / "a.csv", [claim()])])
    build_claims_by_area(warehouse, level="municipality", reuse_periods=True)
    ishinomaki = claim(市町村コード="042021", 市町村名="石巻市", 診療年月="202404")
    ingest_claim_extracts(warehouse, [write_extract(tmp_path / "b.csv", [ishinomaki])])
    periods, same = _both(warehouse, level="municipality")
    assert periods == {"computed": 1, "reused": 1}
    assert same
    table = build_claims_by_area(warehouse, level="municipality", reuse_periods=True).table
    fy2023 = table.filter(pc.equal(table["period"], "FY2023"))
    ishinomaki_2023 = fy2023.filter(pc.equal(fy2023["area_code"], "04202")).to_pylist()
    # every indicator × 2 bases × 4 age groups, all zero
    assert ishinomaki_2023 and {r["patients"] for r in ishinomaki_2023} == {0}


def test_a_new_bureau_list_recomputes_every_period(warehouse: Warehouse, tmp_path: Path) -> None:
    fy2023, fy2024 = _split_sample(tmp_path)
    ingest_claim_extracts(warehouse, [fy2023, fy2024])
    build_claims_by_area(warehouse, level="municipality", reuse_periods=True)
    # the facility basis moves: every period changes
    ingest_facility_lists(warehouse, [BUREAU])
    assert _both(warehouse, level="municipality") == ({"computed": 2, "reused": 0}, True)


def test_lines_taken_out_of_a_period_recompute_it(warehouse: Warehouse, tmp_path: Path) -> None:
    fy2023, fy2024 = _split_sample(tmp_path)
    ingest_claim_extracts(warehouse, [fy2023, fy2024])
    build_claims_by_area(warehouse, level="municipality", reuse_periods=True)
    # as a --replace or a remove would: some FY2024 lines of an ingest go
    warehouse.con.execute(
        "delete from claim_lines where service_month = date '2024-05-01' and source_row % 2 = 0"
    )
    assert _both(warehouse, level="municipality") == ({"computed": 1, "reused": 1}, True)


def test_a_cache_of_other_columns_is_started_again(warehouse: Warehouse, tmp_path: Path) -> None:
    fy2023, _ = _split_sample(tmp_path)
    ingest_claim_extracts(warehouse, [fy2023])
    build_claims_by_area(warehouse, level="municipality", reuse_periods=True)
    # as left by a zaitaku whose mart had another column
    warehouse.con.execute(f"alter table {CACHE_TABLE} add column extra integer")
    assert _both(warehouse, level="municipality") == ({"computed": 1, "reused": 0}, True)
