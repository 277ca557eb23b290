"""Benchmark: `ingest facilities` of a 200,000-row bureau workbook — target < 10 s, < 1 GB peak RSS.

The workbook is generated once (demo.bureau_workbook, cached in bench-out/ under a name that
changes with the generator's source) and ingested into a fresh warehouse in a child process
pinned to 2 CPUs, as on the target machine. Wall time covers the whole child (interpreter start,
imports, read, normalise, geo, insert, commit); peak RSS is the child's own, from wait4.
Run: `.venv/bin/python benchmarks/bench_facilities.py [--rows N]` or `make bench`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import date
from pathlib import Path

from benchlib import fresh_warehouse, run_pinned

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
ROWS = 200_000
SEED = 0
AS_OF = date(2025, 10, 1)
TIME_TARGET_S = 10.0
RSS_TARGET_MB = 1024.0
CPUS = 2

# The child: what `zaitaku ingest facilities FILE --warehouse W --quiet` does, minus the CLI.
CHILD = """
import json, sys, time
from pathlib import Path

from zaitaku_cli.ingest_facilities import ingest_facility_lists
from zaitaku_cli.warehouse import Warehouse

with Warehouse(Path(sys.argv[2])) as wh:
    start = time.perf_counter()
    (summary,) = ingest_facility_lists(wh, [Path(sys.argv[1])])
    seconds = time.perf_counter() - start
print(json.dumps({
    "ingest_s": seconds,
    "status": summary.status,
    "rows_read": summary.rows_read,
    "rows_loaded": summary.rows_loaded,
    "rows_rejected": summary.rows_rejected,
}))
"""


def workbook(rows: int) -> Path:
    """The cached benchmark workbook; regenerated when the generator's source changes."""
    from zaitaku_cli.demo import bureau_workbook

    source = Path(bureau_workbook.__file__).read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:8]
    path = OUT / f"bureau_{rows}_seed{SEED}_{tag}.xlsx"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        for stale in OUT.glob(f"bureau_{rows}_seed{SEED}_*.xlsx"):
            stale.unlink()  # made by an older generator
        start = time.perf_counter()
        tmp = path.with_suffix(".partial.xlsx")
        bureau_workbook.write_bureau_workbook(tmp, as_of=AS_OF, rows=rows, seed=SEED)
        tmp.replace(path)
        print(f"generated {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def run_child(path: Path, warehouse: Path) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS MB, child's JSON report) of one ingest in a fresh process."""
    fresh_warehouse(warehouse)
    return run_pinned(CHILD, str(path), str(warehouse), cpus=CPUS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args(argv or [])
    path = workbook(args.rows)
    wall, peak_mb, report = run_child(path, OUT / "facilities_bench.duckdb")
    ok = wall < TIME_TARGET_S and peak_mb < RSS_TARGET_MB
    print(
        f"facilities ingest {report['rows_read']} rows: {wall:.1f} s, peak {peak_mb:.0f} MB "
        f"(target < {TIME_TARGET_S:.0f} s, < {RSS_TARGET_MB / 1024:.0f} GB) "
        f"[ingest call {report['ingest_s']:.1f} s; loaded {report['rows_loaded']}, "
        f"rejected {report['rows_rejected']}; {CPUS} CPUs]" + ("" if ok else "  TARGET MISSED"),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
