"""Benchmark: `aggregate --engine spark` on local[2] against DuckDB at 10^5, 10^6 and 10^7 lines.

For each size, an extract made by `zaitaku demo claims --rows N --facilities-from <the sample
bureau list>` is ingested with that list into a warehouse (cached in bench-out/, untimed); then
`aggregate --by municipality` runs once per engine, each in a fresh process: DuckDB with the
warehouse's default memory limit, Spark local[2] (ANSI on) with the driver heap below. Printed:
wall time of the process (Spark: JVM start and the Parquet export included), its phases, the
peak RSS of the process (DuckDB) or of the JVM (Spark, VmHWM), and whether the two engines wrote
the same files, byte for byte (they must). Not run by `make bench`: it needs Java and pyspark
(`make bench-spark` installs them), and about a quarter of an hour at 10^7 lines.

Run: `.venv/bin/python benchmarks/spark_scale.py [--rows N ...] [--driver-memory 4g]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import benchlib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out" / "spark"
BUREAU = ROOT / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"
ZAITAKU = Path(sys.executable).with_name("zaitaku")
SIZES = (100_000, 1_000_000, 10_000_000)
CPUS = 2

CHILD = """
import hashlib, json, sys, time
from pathlib import Path

started = time.perf_counter()
from zaitaku_cli.aggregate import aggregate
from zaitaku_cli.engine import SparkOptions, open_engine
from zaitaku_cli.warehouse import Warehouse

kind, warehouse, out, conf = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
options = SparkOptions(conf=json.loads(conf))
with Warehouse(warehouse) as wh, open_engine(kind, wh, options) as engine:
    ready = time.perf_counter()
    result = aggregate(wh, level="municipality", out_dir=out, engine=engine)
    done = time.perf_counter()
    jvm_peak_mb = None
    if kind == "spark":
        pid = engine.spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                jvm_peak_mb = int(line.split()[1]) / 1024
files = {
    p.name: hashlib.sha256(p.read_bytes()).hexdigest()
    for p in sorted(result.folder.iterdir())
    if p.suffix in (".csv", ".parquet")
}
print(json.dumps({
    "session": ready - started,
    "aggregate": done - ready,
    "jvm_peak_mb": jvm_peak_mb,
    "claims_rows": result.claims.num_rows if result.claims is not None else 0,
    "files": files,
}))
"""


def warehouse_for(rows: int) -> Path:
    """The warehouse of `rows` generated lines and the sample bureau list (made once)."""
    OUT.mkdir(parents=True, exist_ok=True)
    extract = OUT / f"claims_{rows}.csv"
    warehouse = OUT / f"claims_{rows}.duckdb"
    if warehouse.exists():
        return warehouse
    if not extract.exists():
        generate = ["demo", "claims", "--rows", str(rows), "--out", extract]
        subprocess.run([ZAITAKU, *generate, "--facilities-from", BUREAU], check=True)
    benchlib.fresh_warehouse(warehouse)
    for args in (["facilities", BUREAU], ["claims", extract]):
        subprocess.run([ZAITAKU, "ingest", *args, "-w", warehouse, "-q"], check=True)
    return warehouse


def run(kind: str, warehouse: Path, conf: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
    out = OUT / f"out-{kind}-{warehouse.stem}"
    return benchlib.run_pinned(CHILD, kind, str(warehouse), str(out), json.dumps(conf), cpus=CPUS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args(argv)
    conf = {"spark.driver.memory": args.driver_memory}
    print(f"aggregate --by municipality, local[{CPUS}], spark.driver.memory={args.driver_memory}")
    print(
        f"{'lines':>12} {'duckdb s':>9} {'MB':>6} {'spark s':>8} {'session':>8} "
        f"{'aggregate':>9} {'JVM MB':>7} {'rows':>7}  same files"
    )
    different = []
    for rows in args.rows:
        warehouse = warehouse_for(rows)
        duck_wall, duck_mb, duck = run("duckdb", warehouse, {})
        spark_wall, _, spark = run("spark", warehouse, conf)
        same = duck["files"] == spark["files"]
        if not same:
            different.append(rows)
        print(
            f"{rows:>12,} {duck_wall:>9.1f} {duck_mb:>6.0f} {spark_wall:>8.1f} "
            f"{spark['session']:>8.1f} {spark['aggregate']:>9.1f} "
            f"{spark['jvm_peak_mb'] or 0:>7.0f} {duck['claims_rows']:>7,}  {same}",
            flush=True,
        )
    if different:
        print(f"the engines wrote different files at {', '.join(map(str, different))} lines")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
