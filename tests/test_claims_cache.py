"""The claims cells kept in the warehouse between runs (claims_cache.py, migration 008).

Each helper opens its own connection, as a separate `zaitaku` process would: nothing is carried
over in memory, only what the warehouse holds.
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
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.reference import register_reference_tables
from zaitaku_cli.remove import remove_ingest
from zaitaku_cli.warehouse import Warehouse

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
NEW_VISIT = "114999910"  # a made-up R8 在宅患者訪問診療料 code, in no table (as test_claim_codes)
CLINIC = "0311234567"  # the 岩手 clinic of factories.claims.GOOD: 医療機関番号 1234567


def build(path: Path, **kw: Any) -> tuple[str, pa.Table]:
    """(where the cells came from, the municipality table) from a connection of its own."""
    with Warehouse(path, memory_limit="512MB") as wh:
        result = build_claims_by_area(wh, level="municipality", **kw)
    return result.cells, result.table


def entries(path: Path) -> list[tuple[Any, ...]]:
    with Warehouse(path, memory_limit="512MB") as wh:
        return wh.fetch_all(
            "select state_key, period, suppress, min_facilities, cells, hidden "
            "from claim_cells_entries order by period, suppress, min_facilities"
        )


def cell(table: pa.Table, area: str, basis: str = "residence") -> dict[str, Any]:
    """FY2023 訪問診療, all ages, of one area."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    rows = frame.filter(
        (pl.col("period") == "FY2023")
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
        outputs[run] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in result.outputs}
    assert cells == ["computed", "cache"]
    # every output file (claims, facilities, population, rates; Parquet and CSV) is the same
    # byte for byte; only the manifest differs (its generated_at)
    assert len(outputs["cold"]) == 8
    assert outputs["cached"] == outputs["cold"]
    with Warehouse(path) as wh:
        hidden = wh.fetch_all("select hidden from claim_cells_entries")
    assert hidden[0][0] > 0  # the demo data has suppressed cells: the pattern was kept too


def test_each_period_kind_and_choice_is_kept_beside_the_others(
    demo_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    cold = {
        kw: build(path, **dict(kw))[1]
        for kw in (
            (("period", "fiscal-year"),),
            (("period", "month"),),
            (("period", "fiscal-year"), ("suppress", False)),
            (("period", "fiscal-year"), ("min_facilities", 3)),
        )
    }
    # one state; a cells entry per period kind and suppression choice
    rows = entries(path)
    assert [r[1:4] for r in rows] == [
        ("fiscal-year", False, 0),
        ("fiscal-year", True, 0),
        ("fiscal-year", True, 3),
        ("month", True, 0),
    ]
    assert len({r[0] for r in rows}) == 1
    for kw, table in cold.items():
        cells, again = build(path, **dict(kw))
        assert cells == "cache"
        assert again.equals(table)


def test_another_suppression_choice_reuses_the_cells(demo_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    assert build(path)[0] == "computed"
    cells, strict = build(path, min_facilities=3)
    assert cells == "cache-cells"  # the cells read back, the pattern of --min-facilities 3 made
    assert strict.equals(build(path, min_facilities=3, cache=False)[1])


# -- every dependency invalidates ----------------------------------------------------------------
@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Claims of 盛岡市 (April, May 2023) by the clinic CLINIC, in files a, b and c.

    a.csv: 後期 April, P1 and P2. b.csv: 後期 May, P3. c.csv: 後期 April again (P4, P5, P6),
    to supersede a.csv with --replace. d.csv: 後期 June, P7 billed under NEW_VISIT.
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
    """a.csv, b.csv and d.csv ingested (ids 1–3), the cells computed and cached once."""
    with Warehouse(warehouse_path, memory_limit="512MB") as wh:
        ingest_claim_extracts(wh, [inputs["a"], inputs["b"], inputs["d"]])
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


# change → (盛岡市 residence patients, 花巻市 facility-basis patients) of FY2023 after it, by
# hand from the inputs: before any change 盛岡市 has P1, P2 (a) and P3 (b), CLINIC is in no
# list (facility basis: 03999), and P7's June line has a code no table maps.
CHANGES: dict[str, tuple[Callable[[Path, dict[str, Path]], None], int, int]] = {
    # b.csv's May claims go: P1, P2
    "remove": (lambda p, i: _remove(p, "2"), 2, 0),
    # c.csv supersedes a.csv's 後期 April: P4, P5, P6 and b's P3
    "replace": (lambda p, i: _ingest(p, i, "c", replace=True), 4, 0),
    # the code of d.csv is mapped to 訪問診療: P7 counts too
    "update-codes --apply": (_apply_codes, 4, 0),
    # the bureau list places CLINIC in 花巻市: its 3 patients leave 03999 for 03205
    "bureau list": (_bureau, 3, 3),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_of_what_the_cells_depend_on_recomputes_them(
    loaded: Path, inputs: dict[str, Path], change: str
) -> None:
    before = entries(loaded)
    do, morioka, hanamaki = CHANGES[change]
    do(loaded, inputs)
    cells, table = build(loaded, suppress=False)
    assert cells == "computed"
    assert cell(table, "03201")["patients"] == morioka
    assert cell(table, "03205", basis="facility")["patients"] == hanamaki
    # the same as a computation that never looks at the cache
    assert table.equals(build(loaded, suppress=False, cache=False)[1])
    # the entries of the earlier state are gone; the new one is read back
    after = entries(loaded)
    assert {r[0] for r in after}.isdisjoint({r[0] for r in before})
    assert build(loaded, suppress=False)[0] == "cache"


def test_a_new_claims_file_recomputes(
    loaded: Path, inputs: dict[str, Path], tmp_path: Path
) -> None:
    # a claims file of 盛岡市 for July: P8, P9
    extra = write_extract(
        tmp_path / "e.csv",
        [claim(被保険者番号=p, 診療年月="202307") for p in ("P8", "P9")],
    )
    with Warehouse(loaded, memory_limit="512MB") as wh:
        ingest_claim_extracts(wh, [extra])
    cells, table = build(loaded, suppress=False)
    assert cells == "computed"
    assert cell(table, "03201")["patients"] == 5  # P1, P2, P3, P8, P9


def test_min_facilities_is_part_of_the_key(loaded: Path) -> None:
    assert build(loaded)[0] == "cache"
    cells, strict = build(loaded, min_facilities=2)
    assert cells == "cache-cells"
    assert strict.equals(build(loaded, min_facilities=2, cache=False)[1])
    # both choices are kept, side by side
    assert build(loaded, min_facilities=2)[0] == "cache"
    assert build(loaded)[0] == "cache"


def test_the_state_digest_names_each_dependency(loaded: Path, inputs: dict[str, Path]) -> None:
    def parts() -> dict[str, str]:
        with Warehouse(loaded, memory_limit="512MB") as wh:
            key = claims_cache.cache_key(wh, period="fiscal-year", suppress=True, min_facilities=0)
        return key.parts

    first = parts()
    _bureau(loaded, inputs)
    second = parts()
    assert {k for k in first if first[k] != second[k]} == {
        "facility_ingests",
        "facility_notifications",
    }
    _remove(loaded, "2")
    third = parts()
    assert {k for k in second if second[k] != third[k]} == {
        "claim_ingests",
        "claim_pairs",
        "claim_lines",
    }


# -- writing --------------------------------------------------------------------------------------
def test_the_cache_is_written_in_one_transaction(
    loaded: Path, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = entries(loaded)
    _ingest(loaded, inputs, "c", replace=True)

    def interrupted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # Ctrl-C after the stale entries were deleted and the new cells inserted
        raise KeyboardInterrupt

    monkeypatch.setattr(claims_cache, "_entry_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(loaded)
    monkeypatch.undo()
    # nothing of the interrupted write: the earlier entry and its rows are intact
    assert entries(loaded) == before
    with Warehouse(loaded, memory_limit="512MB") as wh:
        stored = wh.fetch_all("select count(*) from claim_cells_cache")[0][0]
    assert stored == sum(r[4] for r in before)
    # and the next run computes and stores the new state
    assert build(loaded)[0] == "computed"
    assert build(loaded)[0] == "cache"


def test_a_read_only_connection_reads_but_never_writes(
    loaded: Path, inputs: dict[str, Path]
) -> None:
    _ingest(loaded, inputs, "c", replace=True)  # the stored cells are stale now
    before = hashlib.sha256(loaded.read_bytes()).hexdigest()
    wh = Warehouse.__new__(Warehouse)
    wh.path = loaded
    wh.con = duckdb.connect(str(loaded), read_only=True)
    register_reference_tables(wh.con)
    try:
        result = build_claims_by_area(wh, level="municipality", suppress=False)
    finally:
        wh.con.close()
    assert result.cells == "computed"
    assert cell(result.table, "03201")["patients"] == 4
    assert hashlib.sha256(loaded.read_bytes()).hexdigest() == before
