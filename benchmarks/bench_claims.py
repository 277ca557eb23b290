"""Benchmark: claims indicators per municipality from a CP932 extract, against two baselines.

(a) ours: `ingest_claim_extracts` + `build_claims_by_area(level='municipality')` (all indicators,
    both bases, four age groups, zero grid, suppression) in a fresh warehouse;
(b) baseline: ONE hand-written DuckDB query over the same file, transcoded to UTF-8 by the same
    `prepare_utf8` the ingest uses (decode time included in both): patients, claims and count by
    fiscal year × municipality × indicator, residence basis, all ages;
(c) pandas, the straightforward way (read_csv of the CP932 file, groupby nunique/sum), when
    pandas is installed in the environment (it is not a zaitaku dependency; nothing is installed
    here).
Each runs in its own process pinned to 2 CPUs, as on the target machine; wall time and the
process's peak RSS (wait4) are printed with the ratios. Targets: ours / baseline ≤ 1.5 and
ours' peak < 2 GB. The numbers of (a) are checked against (b) on every unsuppressed cell.
The extract (10,000,000 lines by default, ≈ 720 MB; --rows to change) is generated once by
demo.claims_extract and cached in bench-out/ under the same name as bench_claims_decode uses.
Before (a) builds, 85 % of the billing facilities are placed in a municipality of their
prefecture (untimed), so that the facility basis is exercised as with a real bureau list.
Run: `.venv/bin/python benchmarks/bench_claims.py [--rows N]` or `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
ROWS = 10_000_000
SEED = 0
CPUS = 2
RATIO_TARGET = 1.5
RSS_TARGET_MB = 2048.0

# Run first in every child: the same core count as the target machine, before DuckDB or
# polars size their thread pools.
PIN = """
import os, sys
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:int(os.environ["BENCH_CPUS"])])
"""

OURS = (
    PIN
    + """
import json, time
from pathlib import Path

from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.warehouse import Warehouse


class Phases:
    # Progress that remembers how long each ingest phase took.
    def __init__(self):
        self.times, self.current, self.started = {}, None, 0.0

    def start(self, description, total=None):
        self.current, self.started = description.split(": ", 1)[-1], time.perf_counter()

    def advance(self, amount=1):
        pass

    def finish(self):
        self.times[self.current] = time.perf_counter() - self.started


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
import pyarrow.compute as pc
import pyarrow.parquet as pq

wanted = pc.and_(
    pc.equal(table["basis"], "residence"), pc.equal(table["age_group"], "total")
)
pq.write_table(
    table.filter(wanted).select(
        ["period", "area_code", "indicator", "patients", "claims", "count"]
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

BASELINE = (
    PIN
    + """
import json, time, tempfile
from pathlib import Path

import duckdb

from zaitaku_cli.readers.claims_extract import prepare_utf8, read_layout, read_mapping
from zaitaku_cli.reference import DATA_DIR

QUERY = '''
with
codes as (
    select code, min(indicator) as indicator
    from read_csv($codes, all_varchar = true)
    group by code
),
lines as (
    select * from read_csv($paths, all_varchar = true, header = true)
)
select
    case
        when cast(substr(l."診療年月", 5, 2) as integer) >= 4
            then 'FY' || substr(l."診療年月", 1, 4)
        else 'FY' || cast(cast(substr(l."診療年月", 1, 4) as integer) - 1 as varchar)
    end as period,
    substr(l."市町村コード", 1, 5) as area_code,
    c.indicator,
    count(distinct l."被保険者番号") as patients,
    count(distinct l."被保険者番号" || '|' || l."医療機関コード" || '|' || l."診療年月") as claims,
    sum(cast(l."算定回数" as integer)) as count
from lines as l
inner join codes as c on c.code = l."診療行為コード"
group by 1, 2, 3
'''

source, workdir, dump = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
start = time.perf_counter()
layout = read_layout(source, read_mapping(None))
prepared = prepare_utf8(layout, workdir)
decode_s = time.perf_counter() - start
con = duckdb.connect()
# The warehouse's memory bound, so that both sides work under the same limit.
con.execute("set memory_limit = '1GB'")
con.execute("set preserve_insertion_order = false")
start = time.perf_counter()
rel = con.sql(
    QUERY,
    params={"codes": str(DATA_DIR / "claim_codes.csv"), "paths": [str(p) for p in prepared.paths]},
)
rel.write_parquet(str(dump))
query_s = time.perf_counter() - start
print(json.dumps({"decode_s": decode_s, "query_s": query_s}))
"""
)

PANDAS = (
    PIN
    + """
import json, time
from pathlib import Path

import pandas as pd

from zaitaku_cli.reference import DATA_DIR

source = Path(sys.argv[1])
start = time.perf_counter()
columns = [
    "被保険者番号", "市町村コード", "診療年月", "医療機関コード", "診療行為コード", "算定回数"
]
lines = pd.read_csv(source, encoding="cp932", dtype=str, usecols=columns)
read_s = time.perf_counter() - start
codes = pd.read_csv(DATA_DIR / "claim_codes.csv", dtype=str, usecols=["code", "indicator"])
lines = lines.merge(codes, left_on="診療行為コード", right_on="code")
year = lines["診療年月"].str[:4].astype(int)
month = lines["診療年月"].str[4:6].astype(int)
lines["period"] = "FY" + (year - (month < 4)).astype(str)
lines["area_code"] = lines["市町村コード"].str[:5]
lines["claim"] = lines["被保険者番号"] + "|" + lines["医療機関コード"] + "|" + lines["診療年月"]
lines["times"] = lines["算定回数"].astype(int)
result = lines.groupby(["period", "area_code", "indicator"]).agg(
    patients=("被保険者番号", "nunique"), claims=("claim", "nunique"), count=("times", "sum")
)
print(json.dumps({
    "read_s": read_s,
    "total_s": time.perf_counter() - start,
    "rows": len(result),
    "pandas": pd.__version__,
}))
"""
)


def extract(rows: int) -> Path:
    return benchlib.claims_extract(rows, SEED)


def run(code: str, *args: str) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak RSS MB, the child's JSON report) of `code` in a fresh process."""
    env = {**os.environ, "BENCH_CPUS": str(CPUS)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=out, stderr=err, env=env
        )
        # wait4: this child's own peak RSS, not the largest of all children so far.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if returncode != 0:
        raise SystemExit(f"benchmark child failed (exit {returncode}):\n{stderr}")
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, peak_mb, json.loads(stdout.strip().splitlines()[-1])


def fresh(path: Path) -> Path:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)
    return path


def compare(ours: Path, baseline: Path) -> tuple[int, int, int]:
    """(cells equal, cells different, cells suppressed in ours) over the baseline's cells."""
    import polars as pl

    mine = pl.read_parquet(ours)
    theirs = pl.read_parquet(baseline)
    joined = theirs.join(mine, on=["period", "area_code", "indicator"], how="left", suffix="_z")
    equal = different = suppressed = 0
    for unit in ("patients", "claims", "count"):
        shown = joined.filter(pl.col(f"{unit}_z").is_not_null())
        suppressed += joined.height - shown.height
        same = shown.filter(pl.col(unit) == pl.col(f"{unit}_z")).height
        equal += same
        different += shown.height - same
    return equal, different, suppressed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    args = parser.parse_args(argv or [])

    path = extract(args.rows)
    size_mb = path.stat().st_size / 1e6
    print(f"extract {path.name}: {args.rows:,} lines, {size_mb:.0f} MB CP932", flush=True)

    ours_dump = OUT / "claims_bench_ours.parquet"
    ours_s, ours_mb, ours = run(
        OURS, str(path), str(fresh(OUT / "claims_aggregate_bench.duckdb")), str(ours_dump)
    )
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
    with tempfile.TemporaryDirectory(dir=OUT) as workdir:
        base_s, base_mb, base = run(BASELINE, str(path), workdir, str(base_dump))
    print(
        f"(b) baseline DuckDB query: {base_s:.1f} s wall, peak {base_mb:.0f} MB — decode "
        f"{base['decode_s']:.1f} s, query {base['query_s']:.1f} s",
        flush=True,
    )
    equal, different, suppressed = compare(ours_dump, base_dump)
    print(
        f"    cross-check (residence, all ages): {equal:,} cells equal, {different} different, "
        f"{suppressed:,} suppressed in ours (not compared)",
        flush=True,
    )

    if args.no_pandas:
        print("(c) pandas: skipped (--no-pandas)")
    elif subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True).returncode:
        print("(c) pandas: not installed in this environment; skipped")
    else:
        pd_s, pd_mb, pd_report = run(PANDAS, str(path))
        print(
            f"(c) pandas {pd_report['pandas']}: {pd_s:.1f} s wall, peak {pd_mb:.0f} MB — "
            f"read_csv {pd_report['read_s']:.1f} s; ours / pandas = {timed_s / pd_s:.2f}",
            flush=True,
        )

    ratio = timed_s / base_s
    ok = ratio <= RATIO_TARGET and ours_mb < RSS_TARGET_MB and different == 0
    print(
        f"ours / baseline = {ratio:.2f} (target ≤ {RATIO_TARGET}); ours peak {ours_mb:.0f} MB "
        f"(target < {RSS_TARGET_MB:.0f} MB); {CPUS} CPUs" + ("" if ok else "  TARGET MISSED"),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
