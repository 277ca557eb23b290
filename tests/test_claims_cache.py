"""The claims cells kept in the warehouse between runs, per fiscal year (claims_cache.py,
migration 008).

Each helper opens its own connection, as a separate `zaitaku` process would: nothing is carried
over in memory, only what the warehouse holds. A cache hit must give the very bytes a cold run
gives; every dependency of a block must invalidate it, and only it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from factories import bureau_list
from factories.claim_master import MasterCode, write_master
from factories.claims import claim, write_extract
from zaitaku_cli import claims_cache
from zaitaku_cli.aggregate import aggregate
from zaitaku_cli.claim_codes import apply_additions, find_unmapped_home_care_codes, read_master
from zaitaku_cli.claims_aggregate import build_claims_by_area, prepare_claim_cells
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.reference import register_reference_tables
from zaitaku_cli.remove import remove_ingest
from zaitaku_cli.warehouse import Warehouse

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
NEW_VISIT = "114999910"  # a made-up R8 在宅患者訪問診療料 code, in no table (as test_claim_codes)
CLINIC = "0311234567"  # the 岩手 clinic of factories.claims.GOOD: 医療機関番号 1234567
OTHER_CLINIC = "0317654321"  # 医療機関番号 7654321: in no bureau list


def build(path: Path, **kw: Any) -> tuple[str, pa.Table]:
    """(where the cells came from, the municipality table) from a connection of its own."""
    with Warehouse(path, memory_limit="512MB") as wh:
        result = build_claims_by_area(wh, level="municipality", **kw)
    return result.cells, result.table


def blocks(path: Path) -> list[tuple[Any, ...]]:
    """(period, fiscal year, block key, cells) of every stored block."""
    with Warehouse(path, memory_limit="512MB") as wh:
        return wh.fetch_all(
            "select period, fiscal_year, block_key, cells from claim_cell_blocks "
            "order by period, fiscal_year"
        )


def patterns(path: Path) -> list[tuple[Any, ...]]:
    """(period, fiscal year, min_facilities, hidden) of every stored pattern."""
    with Warehouse(path, memory_limit="512MB") as wh:
        return wh.fetch_all(
            "select b.period, b.fiscal_year, p.min_facilities, p.hidden "
            "from claim_cell_patterns as p "
            "inner join claim_cell_blocks as b on b.block_key = p.block_key "
            "order by b.period, b.fiscal_year, p.min_facilities"
        )


def cell(
    table: pa.Table, area: str, basis: str = "residence", period: str = "FY2023"
) -> dict[str, Any]:
    """訪問診療, all ages, of one area and period."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    rows = frame.filter(
        (pl.col("period") == period)
        & (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == basis)
        & (pl.col("age_group") == "total")
        & (pl.col("area_code") == area)
    ).to_dicts()
    assert len(rows) == 1
    return rows[0]


# -- the demo data: a cache hit writes the very same files ---------------------------------------
@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Warehouse(path) as wh:
        ingest_facility_lists(wh, [RAW / "bureau_tohoku_2025-10.xlsx"])
        ingest_claim_extracts(wh, [RAW / "kdb_claims_sample.csv"])
    return path


def _hashes(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_a_second_run_reads_the_cache_and_writes_the_same_bytes(
    demo_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    outputs = {}
    cells = []
    for run in ("cold", "cached"):
        with Warehouse(path) as wh:
            result = aggregate(wh, level="municipality", out_dir=tmp_path / run)
        cells.append(result.claims_cells)
        outputs[run] = _hashes(result.outputs)
    assert cells == ["computed", "cache"]
    # every output file (claims, facilities, population, rates; Parquet and CSV) is the same
    # byte for byte; only the manifest differs (its generated_at)
    assert len(outputs["cold"]) == 8
    assert outputs["cached"] == outputs["cold"]
    # the demo's claims span FY2023 and FY2024: a block each, with its pattern
    assert [(p, fy) for p, fy, _, _ in blocks(path)] == [
        ("fiscal-year", "FY2023"),
        ("fiscal-year", "FY2024"),
    ]
    assert all(hidden > 0 for *_, hidden in patterns(path))


def test_months_read_from_the_cache_are_the_same_bytes_as_months_computed(
    demo_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    outputs = {}
    for run, cache in (("cold", False), ("stored", True), ("cached", True)):
        with Warehouse(path) as wh:
            table = build_claims_by_area(wh, level="ward", period="month", cache=cache).table
        outputs[run] = table
    assert outputs["stored"].equals(outputs["cold"])
    assert outputs["cached"].equals(outputs["cold"])
    # the months' blocks and the fiscal years' (the months are protected under them)
    assert [(p, fy, mf) for p, fy, mf, _ in patterns(path)] == [
        ("fiscal-year", "FY2023", 0),
        ("fiscal-year", "FY2024", 0),
        ("month", "FY2023", 0),
        ("month", "FY2024", 0),
    ]
    assert build(path, period="month")[0] == "cache"


def test_another_suppression_choice_reuses_the_cells(demo_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    assert build(path)[0] == "computed"
    cells, strict = build(path, min_facilities=3)
    assert cells == "cache-cells"  # the cells read back, the pattern of --min-facilities 3 made
    assert strict.equals(build(path, min_facilities=3, cache=False)[1])
    # both patterns are kept beside each other, and no suppression needs none
    assert [(fy, mf) for _, fy, mf, _ in patterns(path)] == [
        ("FY2023", 0),
        ("FY2023", 3),
        ("FY2024", 0),
        ("FY2024", 3),
    ]
    for kw in ({}, {"min_facilities": 3}, {"suppress": False}):
        assert build(path, **kw)[0] == "cache"


# -- every dependency invalidates its blocks, and only those -------------------------------------
@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Claims of 盛岡市 by the clinic CLINIC (後期, insurer 39030000), in files:

    a.csv: April 2023, P1 and P2. b.csv: May 2023, P3. c.csv: April 2023 again (P4, P5, P6),
    to supersede a.csv with --replace. d.csv: June 2023, P7 billed under NEW_VISIT.
    e.csv: April 2024 (FY2024), P8 billed by OTHER_CLINIC. f.csv: April 2023 of another
    insurer (39031000), P9: legitimate beside a.csv (same month, another insurer).
    bureau.xlsx: CLINIC in 花巻市 (03205).
    """
    folder = tmp_path / "in"
    return {
        "a": write_extract(folder / "a.csv", [claim(被保険者番号="P1"), claim(被保険者番号="P2")]),
        "b": write_extract(folder / "b.csv", [claim(被保険者番号="P3", 診療年月="202305")]),
        "c": write_extract(
            folder / "c.csv",
            [claim(被保険者番号=p) for p in ("P4", "P5", "P6")],
        ),
        "d": write_extract(
            folder / "d.csv",
            [claim(被保険者番号="P7", 診療年月="202306", 診療行為コード=NEW_VISIT)],
        ),
        "e": write_extract(
            folder / "e.csv",
            [claim(被保険者番号="P8", 診療年月="202404", 医療機関コード=OTHER_CLINIC)],
        ),
        "f": write_extract(folder / "f.csv", [claim(被保険者番号="P9", 保険者番号="39031000")]),
        "bureau": bureau_list.write_xlsx(
            folder / "bureau.xlsx",
            [
                bureau_list.bureau_row(
                    facility_no=CLINIC[3:], address="花巻市花城町９－３０", label="支援診３"
                )
            ],
        ),
        "master": write_master(
            folder / "s_ALL20260605.csv",
            [MasterCode(NEW_VISIT, "在宅患者訪問診療料（３）（１日につき）", "C", "001")],
        ),
    }


@pytest.fixture
def loaded(warehouse_path: Path, inputs: dict[str, Path]) -> Path:
    """a, b, d and e ingested (ids 1–4), the cells computed and cached once: FY2023 and FY2024."""
    with Warehouse(warehouse_path, memory_limit="512MB") as wh:
        ingest_claim_extracts(wh, [inputs[n] for n in "abde"])
    assert build(warehouse_path)[0] == "computed"
    assert build(warehouse_path)[0] == "cache"
    return warehouse_path


def _ingest(path: Path, inputs: dict[str, Path], name: str, **kw: Any) -> None:
    with Warehouse(path, memory_limit="512MB") as wh:
        ingest_claim_extracts(wh, [inputs[name]], **kw)


def _remove(path: Path, target: str) -> None:
    with Warehouse(path, memory_limit="512MB") as wh:
        remove_ingest(wh, target)


def _apply_codes(path: Path, inputs: dict[str, Path]) -> None:
    with Warehouse(path, memory_limit="512MB") as wh:
        found = find_unmapped_home_care_codes(wh, read_master(inputs["master"]))
        assert apply_additions(wh, found) == 1


def _bureau(path: Path, inputs: dict[str, Path]) -> None:
    with Warehouse(path, memory_limit="512MB") as wh:
        ingest_facility_lists(wh, [inputs["bureau"]])


# change → (how the cells were obtained after it, 盛岡市 residence patients of FY2023, 花巻市
# facility-basis patients of FY2023), by hand from the inputs: before any change 盛岡市 has P1,
# P2 (a) and P3 (b) in FY2023, CLINIC is in no list (facility basis: 03999), P7's June line has
# a code no table maps; FY2024 holds P8 of OTHER_CLINIC only, which no change touches except
# the code table (it numbers the indicators of every block).
CHANGES: dict[str, tuple[Callable[[Path, dict[str, Path]], None], str, int, int]] = {
    # b.csv's May claims go: P1, P2
    "remove": (lambda p, i: _remove(p, "2"), "FY2023 computed, FY2024 cache", 2, 0),
    # c.csv supersedes a.csv's April: P4, P5, P6 and b's P3
    "replace": (
        lambda p, i: _ingest(p, i, "c", replace=True),
        "FY2023 computed, FY2024 cache",
        4,
        0,
    ),
    # another insurer's April beside a.csv: P1, P2, P3 and P9
    "another insurer": (lambda p, i: _ingest(p, i, "f"), "FY2023 computed, FY2024 cache", 4, 0),
    # the code of d.csv is mapped to 訪問診療: P7 counts too
    "update-codes --apply": (_apply_codes, "computed", 4, 0),
    # the bureau list places CLINIC in 花巻市: its 3 patients leave 03999 for 03205; FY2024's
    # OTHER_CLINIC is in no list before or after
    "bureau list": (_bureau, "FY2023 computed, FY2024 cache", 3, 3),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_of_what_the_cells_depend_on_recomputes_them(
    loaded: Path, inputs: dict[str, Path], change: str
) -> None:
    before = {(p, fy): key for p, fy, key, _ in blocks(loaded)}
    do, where, morioka, hanamaki = CHANGES[change]
    do(loaded, inputs)
    cells, table = build(loaded, suppress=False)
    assert cells == where
    assert cell(table, "03201")["patients"] == morioka
    assert cell(table, "03205", basis="facility")["patients"] == hanamaki
    assert cell(table, "03201", period="FY2024")["patients"] == 1  # P8
    # the same as a computation that never looks at the cache
    assert table.equals(build(loaded, suppress=False, cache=False)[1])
    # the recomputed blocks replaced the earlier ones; the others were kept
    after = {(p, fy): key for p, fy, key, _ in blocks(loaded)}
    assert after.keys() == before.keys()
    changed = {fy for (_, fy), key in after.items() if before[("fiscal-year", fy)] != key}
    assert changed == ({"FY2023", "FY2024"} if where == "computed" else {"FY2023"})
    assert build(loaded, suppress=False)[0] == "cache"


def test_a_month_of_a_new_fiscal_year_computes_that_year_only(
    warehouse_path: Path, inputs: dict[str, Path], tmp_path: Path
) -> None:
    # the nightly case: FY2023 published, then April 2024 arrives
    with Warehouse(warehouse_path, memory_limit="512MB") as wh:
        ingest_claim_extracts(wh, [inputs[n] for n in "abd"])
    for period in ("fiscal-year", "month"):
        assert build(warehouse_path, period=period)[0] == "computed"
    _ingest(warehouse_path, inputs, "e")
    for period in ("fiscal-year", "month"):
        cells, table = build(warehouse_path, period=period)
        assert cells == "FY2023 cache, FY2024 computed"
        assert table.equals(build(warehouse_path, period=period, cache=False)[1])
    # the files of a run that read FY2023 are the bytes of a run that computed everything
    with Warehouse(warehouse_path) as wh:
        warm = aggregate(wh, level="municipality", out_dir=tmp_path / "warm")
        assert warm.claims_cells == "cache"
        wh.con.execute("delete from claim_cell_blocks")  # a cold cache
    with Warehouse(warehouse_path) as wh:
        cold = aggregate(wh, level="municipality", out_dir=tmp_path / "cold")
        assert cold.claims_cells == "computed"
    assert _hashes(warm.outputs) == _hashes(cold.outputs)


def test_all_the_lines_of_a_fiscal_year_removed_drops_its_block(
    loaded: Path,
) -> None:
    _remove(loaded, "4")  # e.csv: FY2024's only lines
    assert build(loaded)[0] == "cache"
    assert [fy for _, fy, _, _ in blocks(loaded)] == ["FY2023"]


def test_reference_tables_and_rules_are_part_of_every_key(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claims_cache, "_reference_sha256", lambda name: f"another {name}")
    assert build(loaded)[0] == "computed"
    monkeypatch.undo()
    assert build(loaded)[0] == "computed"  # back to the packaged tables: computed again
    monkeypatch.setattr(claims_cache, "_rules_digest", lambda: "another rule")
    assert build(loaded)[0] == "computed"


def test_min_facilities_is_part_of_the_pattern_key(loaded: Path) -> None:
    cells, strict = build(loaded, min_facilities=2)
    assert cells == "cache-cells"
    assert strict.equals(build(loaded, min_facilities=2, cache=False)[1])
    # both choices are kept, side by side
    assert build(loaded, min_facilities=2)[0] == "cache"
    assert build(loaded)[0] == "cache"


def test_the_block_digest_names_the_months_it_was_made_of(loaded: Path) -> None:
    import json

    with Warehouse(loaded, memory_limit="512MB") as wh:
        wh.materialize("staging/stg_claim_facility_locations")
        found = claims_cache.blocks(wh, "fiscal-year")
    assert list(found) == ["FY2023", "FY2024"]
    months = json.loads(found["FY2023"].parts)["months"]
    # one claim line each in April (a.csv: 2), May and June
    assert {m: n for m, (n, _) in months.items()} == {"2023-04": 2, "2023-05": 1, "2023-06": 1}


# -- writing --------------------------------------------------------------------------------------
def test_the_cache_is_written_in_one_transaction(
    loaded: Path, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = blocks(loaded)
    _ingest(loaded, inputs, "c", replace=True)

    def interrupted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # Ctrl-C after the stale block was deleted and the new cells inserted
        raise KeyboardInterrupt

    monkeypatch.setattr(claims_cache, "_block_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(loaded)
    monkeypatch.undo()
    # nothing of the interrupted write: the earlier blocks and their rows are intact
    assert blocks(loaded) == before
    with Warehouse(loaded, memory_limit="512MB") as wh:
        stored = wh.fetch_all("select count(*) from claim_cell_values")[0][0]
    assert stored == sum(r[3] for r in before)
    # and the next run computes and stores the new state
    assert build(loaded)[0] == "FY2023 computed, FY2024 cache"
    assert build(loaded)[0] == "cache"


def test_a_read_only_connection_reads_but_never_writes(
    loaded: Path, inputs: dict[str, Path]
) -> None:
    _ingest(loaded, inputs, "c", replace=True)  # FY2023's stored cells are stale now
    before = hashlib.sha256(loaded.read_bytes()).hexdigest()
    wh = Warehouse.__new__(Warehouse)
    wh.path = loaded
    wh.con = duckdb.connect(str(loaded), read_only=True)
    register_reference_tables(wh.con)
    wh.view("staging/ref_claim_codes")  # as Warehouse() defines it when it opens
    try:
        result = build_claims_by_area(wh, level="municipality", suppress=False)
    finally:
        wh.con.close()
    assert result.cells == "FY2023 computed, FY2024 cache"
    assert cell(result.table, "03201")["patients"] == 4
    assert hashlib.sha256(loaded.read_bytes()).hexdigest() == before


class _OtherEngine:
    """The warehouse's DuckDB under another engine's name: what prepare_claim_cells does for
    an engine that is not the warehouse's (the cache is the warehouse's own)."""

    name = "spark"

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh

    @property
    def warehouse(self) -> Warehouse:
        return self.wh

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wh, name)


def test_another_engine_neither_reads_nor_writes_the_cache(loaded: Path) -> None:
    with Warehouse(loaded, memory_limit="512MB") as wh:
        wh.con.execute("update claim_cell_values set value = value + 1000")  # never read
        engine = _OtherEngine(wh)
        assert prepare_claim_cells(engine, period="fiscal-year") == "computed"  # type: ignore[arg-type]
        assert wh.fetch_all("select max(value) from int_claim_cells")[0][0] < 1000
        stored = wh.fetch_all("select count(*), min(value) from claim_cell_values")[0]
    assert stored[1] >= 1000  # and nothing written over it
    assert stored[0] == sum(r[3] for r in blocks(loaded))
