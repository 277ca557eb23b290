"""Benchmark: claims indicators per municipality from a CP932 extract, against baselines.

(a) ours: `ingest_claim_extracts` + `build_claims_by_area(level='municipality')` (all indicators,
    both bases, age groups and total, zero grid, suppression) in a fresh warehouse;
(b) the baseline of the target: ONE hand-written DuckDB query computing the same indicators
    straight from the same file (sql/baseline_same_indicators.sql), transcoded to UTF-8 the way
    the ingest decodes (utf8_copy.py: one process per CPU; decode time included in both);
(b') a floor, for reference: one query computing only the residence basis, all ages
    (sql/baseline_residence_total.sql) — an eighth of the cells, without facilities;
(c) pandas, the straightforward way (read_csv of the CP932 file, groupby nunique/sum, the same
    indicators), when pandas is installed in the environment (it is not a zaitaku dependency;
    `make bench` installs requirements-bench.lock).
Each runs in its own process pinned to 2 CPUs, as on the target machine; wall time and the
process's peak RSS (wait4) are printed with the ratios. Targets: ours / baseline ≤ 1.5 and
ours' peak < 2 GB. Every unsuppressed cell of (a) is checked against (b) and (b').
The extract (10,000,000 lines by default, ≈ 720 MB; --rows to change) is generated once by
demo.claims_extract and cached in bench-out/ under the same name as bench_claims_decode uses.
Before (a) builds, 85 % of the billing facilities are placed in a municipality of their
prefecture (untimed), so that the facility basis is exercised as with a real bureau list; the
baselines apply the same rule in their query.
Run: `.venv/bin/python benchmarks/bench_claims.py [--rows N] [--no-pandas]` or `make bench`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import benchlib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "bench-out"
ROWS = 10_000_000
SEED = 0
CPUS = 2
RATIO_TARGET = 1.5
RSS_TARGET_MB = 2048.0

OURS = (
    benchlib.PHASES
    + """
import json, sys
from pathlib import Path

from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.warehouse import Warehouse


# 85 % of the billing facilities get a municipality of their prefecture (deterministic by code),
# as a bureau list would; the rest fall under the unknown area of the facility basis.
LOCATE = '''
insert into facility_notifications (ingest_id, as_of, source_row, pref_code, kubun, facility_no,
    facility_code10, label_raw, label, withdrawn, category, code5)
with billing as (
    select distinct facility_code10 from claim_lines
),
places as (
    select code5, pref_code,
        row_number() over (partition by pref_code order by code5) - 1 as place,
        count(*) over (partition by pref_code) as places
    from ref_municipalities
    where kind in ('市', '町', '村', '区', '特別区')
)
select 0, date '2025-10-01', 0, substr(b.facility_code10, 1, 2), '医科',
    substr(b.facility_code10, 4), b.facility_code10, '支援診３', '支援診３', false,
    'shienshin_jurai', p.code5
from billing as b
inner join places as p
    on p.pref_code = substr(b.facility_code10, 1, 2)
    and p.place = cast(substr(b.facility_code10, 4) as bigint) % p.places
where cast(substr(b.facility_code10, 4) as bigint) % 100 < 85
'''

source, warehouse, dump = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
phases = Phases()
with Warehouse(warehouse) as wh:
    start = time.perf_counter()
    (summary,) = ingest_claim_extracts(wh, [source], progress=phases)
    ingest_s = time.perf_counter() - start
    start = time.perf_counter()
    wh.con.execute(LOCATE)
    locate_s = time.perf_counter() - start
    start = time.perf_counter()
    result = build_claims_by_area(wh, level="municipality")
    build_s = time.perf_counter() - start
    table = result.table
import pyarrow.parquet as pq

pq.write_table(
    table.select(
        ["period", "area_code", "indicator", "basis", "age_group", "patients", "claims", "count",
         "facilities"]
    ),
    dump,
)
print(json.dumps({
    "ingest_s": ingest_s,
    "locate_s": locate_s,
    "build_s": build_s,
    "phases": phases.times,
    "rows_loaded": summary.rows_loaded,
    "rows_rejected": summary.rows_rejected,
    "output_rows": table.num_rows,
    "unknown_facilities": result.unknown_facilities,
}))
"""
)

BASELINE = """
import json, sys, time
from pathlib import Path

import duckdb

from zaitaku_cli.reference import DATA_DIR

source, workdir, query, dump, here = (Path(a) for a in sys.argv[1:6])
sys.path.insert(0, str(here))
from utf8_copy import utf8_parts

start = time.perf_counter()
paths = utf8_parts(source, workdir)
decode_s = time.perf_counter() - start
con = duckdb.connect()
# The warehouse's memory bound, so that both sides work under the same limit.
con.execute("set memory_limit = '1GB'")
con.execute(f"set temp_directory = '{workdir}/spill'")
con.execute("set preserve_insertion_order = false")
start = time.perf_counter()
text = query.read_text(encoding="utf-8")
params = {
    "codes": str(DATA_DIR / "claim_codes.csv"),
    "municipalities": str(DATA_DIR / "municipalities.csv"),
    "paths": [str(p) for p in paths],
}
rel = con.sql(text, params={k: v for k, v in params.items() if "$" + k in text})
rel.write_parquet(str(dump))
query_s = time.perf_counter() - start
print(json.dumps({"decode_s": decode_s, "query_s": query_s}))
"""

# The same indicators, the straightforward pandas way: both bases × age groups and total, each
# unit by nunique/sum per group (the facility placement rule as in sql/baseline_*.sql).
PANDAS = """
import json, sys, time
from pathlib import Path

import pandas as pd

from zaitaku_cli.reference import DATA_DIR

source = Path(sys.argv[1])
start = time.perf_counter()
columns = [
    "被保険者番号", "年齢", "市町村コード", "診療年月", "医療機関コード", "診療行為コード",
    "算定回数",
]
lines = pd.read_csv(source, encoding="cp932", dtype=str, usecols=columns)
read_s = time.perf_counter() - start
codes = pd.read_csv(DATA_DIR / "claim_codes.csv", dtype=str, usecols=["code", "indicator"])
codes = codes.groupby("code", as_index=False)["indicator"].min()
munis = pd.read_csv(DATA_DIR / "municipalities.csv", dtype=str)
munis["area_code"] = munis["code5"].where(munis["kind"] != "区", munis["parent_code5"])
places = munis[munis["kind"].isin(["市", "町", "村", "区", "特別区"])].sort_values("code5")
places = places.assign(place=places.groupby("pref_code").cumcount())
places["places"] = places.groupby("pref_code")["code5"].transform("size")

lines = lines.merge(codes, left_on="診療行為コード", right_on="code")
year = lines["診療年月"].str[:4].astype(int)
month = lines["診療年月"].str[4:6].astype(int)
lines["period"] = "FY" + (year - (month < 4)).astype(str)
age = pd.to_numeric(lines["年齢"])
lines["age_group"] = pd.cut(age, [-1, 64, 74, 200], labels=["under65", "65to74", "75plus"])
lines["age_group"] = lines["age_group"].astype(object).where(age.notna(), "unknown")
code5 = lines["市町村コード"].str[:5]
lines["residence_area"] = code5.map(munis.set_index("code5")["area_code"]).fillna(
    code5.str[:2] + "999"
)
facility = lines["医療機関コード"]
number = facility.str[3:].astype("int64")
pref = facility.str[:2]
places_of = places.set_index("pref_code")["places"].groupby(level=0).first()
place = number % pref.map(places_of).fillna(1).astype("int64")
located = pd.DataFrame({"pref_code": pref, "place": place}).merge(
    places[["pref_code", "place", "area_code"]], how="left", on=["pref_code", "place"]
)["area_code"].to_numpy()
lines["facility_area"] = pd.Series(located, index=lines.index).where(number % 100 < 85)
lines["facility_area"] = lines["facility_area"].fillna(pref + "999")
lines["claim"] = lines["被保険者番号"] + "|" + facility + "|" + lines["診療年月"]
lines["times"] = lines["算定回数"].astype(int)
results = []
for basis in ("residence", "facility"):
    for by_age in (True, False):
        keys = ["period", f"{basis}_area", "indicator"] + (["age_group"] if by_age else [])
        cells = lines.groupby(keys, observed=True).agg(
            patients=("被保険者番号", "nunique"),
            claims=("claim", "nunique"),
            count=("times", "sum"),
            facilities=("医療機関コード", "nunique"),
        )
        results.append(len(cells))
print(json.dumps({
    "read_s": read_s,
    "total_s": time.perf_counter() - start,
    "rows": sum(results),
    "pandas": pd.__version__,
}))
"""

KEYS = ["period", "area_code", "indicator", "basis", "age_group"]
UNITS = ["patients", "claims", "count", "facilities"]


def extract(rows: int) -> Path:
    return benchlib.claims_extract(rows, SEED)


def run(code: str, *args: str) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak RSS MB, the child's JSON report) of `code`, pinned to CPUS cores."""
    return benchlib.run_pinned(code, *args, cpus=CPUS)


def compare(ours: Path, baseline: Path) -> tuple[int, int, int]:
    """(cells equal, cells different, cells suppressed in ours) of every unit the baseline has.

    Ours' cells with activity that the baseline lacks count as different too (the baseline
    has no zero rows, ours has the zero grid).
    """
    import polars as pl

    mine = pl.read_parquet(ours)
    theirs = pl.read_parquet(baseline)
    units = [u for u in UNITS if u in theirs.columns]
    joined = theirs.join(mine, on=KEYS, how="left", suffix="_z")
    equal = different = suppressed = 0
    for unit in units:
        shown = joined.filter(pl.col(f"{unit}_z").is_not_null())
        suppressed += joined.height - shown.height
        same = shown.filter(pl.col(unit) == pl.col(f"{unit}_z")).height
        equal += same
        different += shown.height - same
    scope = theirs.select("basis", "age_group").unique()
    extra = (
        mine.join(scope, on=["basis", "age_group"])
        .join(theirs, on=KEYS, how="anti")
        .filter(pl.any_horizontal(pl.col(u).fill_null(1) > 0 for u in units))
    )
    return equal, different + extra.height, suppressed


def baseline(path: Path, query: str, dump: Path) -> tuple[float, float, dict[str, Any]]:
    with tempfile.TemporaryDirectory(dir=OUT) as workdir:
        return run(BASELINE, str(path), workdir, str(HERE / "sql" / query), str(dump), str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    args = parser.parse_args(argv or [])

    path = extract(args.rows)
    size_mb = path.stat().st_size / 1e6
    print(f"extract {path.name}: {args.rows:,} lines, {size_mb:.0f} MB CP932", flush=True)

    ours_dump = OUT / "claims_bench_ours.parquet"
    warehouse = OUT / "claims_aggregate_bench.duckdb"
    benchlib.fresh_warehouse(warehouse)
    ours_s, ours_mb, ours = run(OURS, str(path), str(warehouse), str(ours_dump))
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in ours["phases"].items())
    timed_s = ours_s - ours["locate_s"]
    print(
        f"(a) ours: {timed_s:.1f} s wall, peak {ours_mb:.0f} MB — ingest {ours['ingest_s']:.1f} s "
        f"[{phases}], build_claims_by_area {ours['build_s']:.1f} s "
        f"({ours['output_rows']:,} rows; {ours['unknown_facilities']} facilities unlocated); "
        f"untimed facility placement {ours['locate_s']:.1f} s",
        flush=True,
    )

    base_dump = OUT / "claims_bench_baseline.parquet"
    base_s, base_mb, base = baseline(path, "baseline_same_indicators.sql", base_dump)
    print(
        f"(b) baseline, one DuckDB query for the same indicators: {base_s:.1f} s wall, peak "
        f"{base_mb:.0f} MB — decode {base['decode_s']:.1f} s, query {base['query_s']:.1f} s",
        flush=True,
    )
    equal, different, suppressed = compare(ours_dump, base_dump)
    print(
        f"    cross-check (every cell, 4 units): {equal:,} equal, {different} different, "
        f"{suppressed:,} suppressed in ours (not compared)",
        flush=True,
    )

    floor_dump = OUT / "claims_bench_floor.parquet"
    floor_s, floor_mb, floor = baseline(path, "baseline_residence_total.sql", floor_dump)
    floor_equal, floor_different, _ = compare(ours_dump, floor_dump)
    print(
        f"(b') floor, one DuckDB query for residence × all ages only: {floor_s:.1f} s wall, "
        f"peak {floor_mb:.0f} MB — decode {floor['decode_s']:.1f} s, query "
        f"{floor['query_s']:.1f} s; cross-check {floor_equal:,} equal, {floor_different} "
        f"different; ours / floor = {timed_s / floor_s:.2f} (for reference, not the target)",
        flush=True,
    )

    if args.no_pandas:
        print("(c) pandas: skipped (--no-pandas)")
    elif subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True).returncode:
        print("(c) pandas: not installed in this environment; skipped")
    else:
        pd_s, pd_mb, pd_report = run(PANDAS, str(path))
        print(
            f"(c) pandas {pd_report['pandas']}, the same indicators: {pd_s:.1f} s wall, peak "
            f"{pd_mb:.0f} MB — read_csv {pd_report['read_s']:.1f} s; ours / pandas = "
            f"{timed_s / pd_s:.2f}",
            flush=True,
        )

    ratio = timed_s / base_s
    ok = (
        ratio <= RATIO_TARGET
        and ours_mb < RSS_TARGET_MB
        and different == 0
        and floor_different == 0
    )
    print(
        f"ours / baseline = {ratio:.2f} (target ≤ {RATIO_TARGET}); ours peak {ours_mb:.0f} MB "
        f"(target < {RSS_TARGET_MB:.0f} MB); {CPUS} CPUs" + ("" if ok else "  TARGET MISSED"),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
