"""Scale (issue 7 §5): 50 million claim lines ingested and aggregated with peak memory under 2 GB.

Memory is measured for the whole process tree — the command and the reader's worker processes
together — by sampling /proc every 0.1 s, because the children's own peaks (wait4) would each
be under the limit while their sum is not. `BENCH_SCALE_ROWS` sets the size (default 50M; the
extract, about 3.6 GB of CP932, is generated once into bench-out/ and kept).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchlib import OUT, claims_extract, fresh_warehouse

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", 50_000_000))
LIMIT_MB = 2048


def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / (1 << 20)


def measured(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak MB of the process tree, stdout) of `zaitaku args`."""
    zaitaku = Path(sys.executable).with_name("zaitaku")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(zaitaku), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"zaitaku {' '.join(args)} failed ({proc.returncode}):\n{err}")
    return wall, peak, out


def main(argv: list[str]) -> int:
    extract = claims_extract(ROWS)
    warehouse = OUT / "scale.duckdb"
    fresh_warehouse(warehouse)
    out_dir = OUT / "scale-out"
    size_gb = extract.stat().st_size / 1e9
    print(f"{ROWS:,} claim lines, {size_gb:.2f} GB CP932", flush=True)

    ingest_s, ingest_mb, summary = measured(
        ["ingest", "claims", str(extract), "-w", str(warehouse), "--json"]
    )
    loaded = json.loads(summary)["ingested"][0]["rows_loaded"]
    print(f"ingest claims: {ingest_s:.1f} s, peak {ingest_mb:,.0f} MB ({loaded:,} lines loaded)")
    aggregate_s, aggregate_mb, _ = measured(
        ["aggregate", "--by", "municipality", "-w", str(warehouse), "--out", str(out_dir), "-q"]
    )
    print(f"aggregate --by municipality: {aggregate_s:.1f} s, peak {aggregate_mb:,.0f} MB")
    worst = max(ingest_mb, aggregate_mb)
    verdict = "met" if worst < LIMIT_MB else "MISSED"
    print(f"peak memory {worst:,.0f} MB against < {LIMIT_MB:,} MB: {verdict}")
    return 0 if worst < LIMIT_MB else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
