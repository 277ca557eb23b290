"""Benchmark: `ingest claims` of a CP932 KDB-style extract — decode MB/s, wall time, peak RSS.

The extract (1,000,000 lines by default; 10,000,000 ≈ 720 MB with --full or
ZAITAKU_BENCH_CLAIMS_ROWS=10000000) is generated once by demo.claims_extract and cached in
bench-out/ under a name that changes with the generator's source. It is ingested into a fresh
warehouse in a child process pinned to 2 CPUs, as on the target machine; the child reports the
time of each phase (reading: decode + parse into Parquet parts; checking and loading) and the
decode rate (the file's size over its slowest part's decoding, parts decoding in parallel), and
the parent takes the child's peak RSS from wait4. Targets scale with the line count: decode
≥ 40 MB/s, ingest ≤ 8 µs per line (80 s for ten million), peak RSS ≤ 2 GB.
Run: `.venv/bin/python benchmarks/bench_claims_decode.py [--rows N | --full]` or `make bench`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import benchlib
from benchlib import fresh_warehouse, run_pinned

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
ROWS = 1_000_000
FULL_ROWS = 10_000_000
SEED = 0
CPUS = 2
DECODE_TARGET_MB_S = 40.0
SECONDS_PER_LINE_TARGET = 8e-6
RSS_TARGET_MB = 2048.0

# The child: what `zaitaku ingest claims FILE --warehouse W --quiet` does, minus the CLI.
CHILD = (
    benchlib.PHASES
    + """
import json, sys
from pathlib import Path

from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.warehouse import Warehouse

phases = Phases()
with Warehouse(Path(sys.argv[2])) as wh:
    start = time.perf_counter()
    (summary,) = ingest_claim_extracts(wh, [Path(sys.argv[1])], progress=phases)
    seconds = time.perf_counter() - start
print(json.dumps({
    "ingest_s": seconds,
    "phases": phases.times,
    "decode_mb_per_s": summary.details["decode_mb_per_s"],
    "encoding": summary.details["encoding"],
    "status": summary.status,
    "rows_read": summary.rows_read,
    "rows_loaded": summary.rows_loaded,
    "rows_rejected": summary.rows_rejected,
}))
"""
)


def extract(rows: int) -> Path:
    return benchlib.claims_extract(rows, SEED)


def run_child(path: Path, warehouse: Path) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS MB, child's JSON report) of one ingest in a fresh process."""
    fresh_warehouse(warehouse)
    return run_pinned(CHILD, str(path), str(warehouse), cpus=CPUS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=int(os.environ.get("ZAITAKU_BENCH_CLAIMS_ROWS", ROWS))
    )
    parser.add_argument("--full", action="store_true", help=f"{FULL_ROWS:,} lines")
    args = parser.parse_args(argv or [])
    rows = FULL_ROWS if args.full else args.rows

    path = extract(rows)
    size_mb = path.stat().st_size / 1e6
    wall, peak_mb, report = run_child(path, OUT / "claims_bench.duckdb")
    phases = report["phases"]
    assert isinstance(phases, dict)
    decode = float(report["decode_mb_per_s"])  # type: ignore[arg-type]
    target_s = SECONDS_PER_LINE_TARGET * rows
    ok = decode >= DECODE_TARGET_MB_S and wall <= target_s and peak_mb <= RSS_TARGET_MB
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    decode_s = size_mb / decode if decode else 0.0
    share = decode_s / float(report["ingest_s"])  # type: ignore[arg-type]
    print(
        f"claims ingest {rows:,} lines ({size_mb:.0f} MB {report['encoding']}): "
        f"{wall:.1f} s wall, peak {peak_mb:.0f} MB; decode {decode:.0f} MB/s "
        f"(≈{decode_s:.1f} s, {share:.0%} of the ingest) "
        f"(targets ≤ {target_s:.0f} s, ≤ {RSS_TARGET_MB / 1024:.0f} GB, ≥ "
        f"{DECODE_TARGET_MB_S:.0f} MB/s) [{shown}; ingest call {report['ingest_s']:.1f} s; "
        f"loaded {report['rows_loaded']:,}, rejected {report['rows_rejected']}; {CPUS} CPUs]"
        + ("" if ok else "  TARGET MISSED"),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
