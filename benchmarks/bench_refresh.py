"""Benchmark: a refresh that adds one month to twelve months of history, against a full rebuild.

Inputs: a drop folder with the sample bureau list (data/raw) and 13 monthly claims extracts
(2023-04 … 2024-04, or from --first-month) of --rows-per-month lines each (500,000 by default,
≈ 36 MB CP932 each), made by the demo generator (zaitaku_cli.demo.claims_extract, one seed:
the same patients every month, billing the facilities of the bureau list) and cached in
bench-out/refresh/.
The config is the shipped example's export (every level, 8th plan, fiscal years, suppression
on) unless --levels narrows it.

(a) full rebuild: a fresh warehouse, `zaitaku refresh` ingests the list and all 13 months and
    publishes every set;
(b) incremental: a warehouse that holds the list and the first 12 months with their sets
    published (untimed setup), then the 13th month is dropped in and `zaitaku refresh` runs;
(c) nothing new: the same refresh once more.
Each timed refresh runs in its own process pinned to 2 CPUs (the target machine), calling
the same core as the command (refresh.refresh over the resolved config); wall time, peak RSS
and the split between ingest and export (from the run's own log lines) are printed.
Target (issue 7 §5): (b) ≤ 20 % of (a). --first-month 202310 puts the 13th month in a fiscal
year that already holds six months (the default history makes it open FY2024).
Run: `.venv/bin/python benchmarks/bench_refresh.py [--rows-per-month N] [--levels L ...]` or
`make bench`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import benchlib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out" / "refresh"
BUREAU = ROOT / "data" / "raw" / "bureau_tohoku_2025-10.xlsx"
ROWS_PER_MONTH = 500_000
# The demo generator's months, 2023-04 … 2025-03; the bench takes 13 in a row from --first-month.
SERVICE = [f"{2023 + (3 + i) // 12}{(3 + i) % 12 + 1:02d}" for i in range(24)]
CPUS = 2
TARGET = 0.20
LEVELS = ["municipality", "ward", "secondary-area", "prefecture"]

# One refresh, timed from inside; the phase split comes from the run's log lines.
CHILD = """
import json, resource, sys, time
from pathlib import Path

from zaitaku_cli.config import resolve_refresh_settings
from zaitaku_cli.refresh import refresh

marks = []
start = time.perf_counter()
settings = resolve_refresh_settings(config=Path(sys.argv[1]))
result = refresh(settings, log=lambda line: marks.append((time.perf_counter(), line)))
end = time.perf_counter()
exporting = [t for t, line in marks if line.startswith("exporting")]
first_export = exporting[0] if exporting else end
if result.exit_code:
    raise SystemExit(result.error)
# CPU seconds of this process (DuckDB's threads) and of its reaped children (the reader's
# workers): less sensitive than wall time to other jobs on a shared machine.
cpu = sum(
    getattr(resource.getrusage(who), field)
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    for field in ("ru_utime", "ru_stime")
)
print(json.dumps({
    "status": result.status,
    "cpu_s": cpu,
    "ingested": result.count("ingested"),
    "skipped": result.count("unchanged"),
    "written": sum(e.status == "written" for e in result.exports),
    "lines": sum(f.summary.rows_loaded for f in result.files if f.summary and f.kind == "claims"),
    "seconds": end - start,
    "ingest_s": first_export - start,
    "export_s": end - first_export,
}))
"""


def monthly_extracts(rows: int, months: list[str]) -> list[Path]:
    """The cached monthly extracts; regenerated when the generator's source changes."""
    from zaitaku_cli.demo import claims_extract as generator
    from zaitaku_cli.readers.bureau_list import facility_codes_in

    tag = hashlib.sha256(Path(generator.__file__).read_bytes()).hexdigest()[:8]
    folder = OUT / f"months_{rows}_{tag}"
    folder.mkdir(parents=True, exist_ok=True)
    codes = facility_codes_in(BUREAU)
    paths = []
    for month in months:
        path = folder / f"kdb_{month}.csv"
        if not path.exists():
            start = time.perf_counter()
            tmp = path.with_suffix(".partial.csv")
            generator.write_claims_extract(
                tmp, rows=rows, seed=0, facility_codes=codes, months=[month]
            )
            tmp.replace(path)
            print(
                f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )
        paths.append(path)
    return paths


def job(name: str, files: list[Path], levels: list[str]) -> Path:
    """A fresh job folder: zaitaku.toml, inbox/ with `files` (hard links), data/, out/."""
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    (root / "inbox").mkdir(parents=True)
    (root / "data").mkdir()
    for path in files:
        _place(path, root / "inbox")
    quoted = ", ".join(f'"{level}"' for level in levels)
    (root / "zaitaku.toml").write_text(
        'warehouse = "data/zaitaku.duckdb"\nout_dir = "out"\nmemory_limit = "1GB"\n\n'
        '[refresh.inputs]\ndrop = "inbox"\n\n'
        f"[refresh.export]\nlevels = [{quoted}]\n",
        encoding="utf-8",
    )
    return root


def _place(path: Path, inbox: Path) -> None:
    # A hard link costs no copy of 36 MB; the bytes (and so the sha256) are the same.
    try:
        os.link(path, inbox / path.name)
    except OSError:
        shutil.copy2(path, inbox / path.name)


def timed(root: Path) -> tuple[float, float, dict[str, float]]:
    return benchlib.run_pinned(CHILD, str(root / "zaitaku.toml"), cpus=CPUS)


def show(label: str, wall: float, peak: float, report: dict[str, float]) -> None:
    print(
        f"{label}: {wall:.1f} s wall, {report['cpu_s']:.1f} s CPU, peak {peak:.0f} MB — "
        f"{report['status']}, "
        f"{report['ingested']:.0f} file(s) ingested ({report['lines']:,.0f} claim lines), "
        f"{report['skipped']:.0f} skipped, {report['written']:.0f} set(s) written; "
        f"ingest {report['ingest_s']:.1f} s, export {report['export_s']:.1f} s",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows-per-month", type=int, default=ROWS_PER_MONTH)
    parser.add_argument("--levels", nargs="+", default=LEVELS, choices=LEVELS)
    parser.add_argument(
        "--first-month",
        default="202304",
        choices=SERVICE[:12],
        help="first month of the history: 202304 (default) makes the 13th month open a new "
        "fiscal year; 202310 puts it in a fiscal year that already holds six months",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of (a) and (b), interleaved (machine noise)"
    )
    args = parser.parse_args(argv or [])

    first = SERVICE.index(args.first_month)
    months = monthly_extracts(args.rows_per_month, SERVICE[first : first + 13])
    size_mb = sum(p.stat().st_size for p in months) / 1e6
    print(
        f"13 monthly extracts {months[0].stem[4:]}…{months[-1].stem[4:]} of "
        f"{args.rows_per_month:,} lines ({size_mb:.0f} MB CP932 in all) "
        f"+ {BUREAU.name}; export levels {', '.join(args.levels)}",
        flush=True,
    )

    incremental = job("incremental", [BUREAU, *months[:12]], args.levels)
    setup_s, _, _ = timed(incremental)
    print(f"    (setup of (b): 12 months refreshed in {setup_s:.1f} s, untimed)", flush=True)
    snapshot = OUT / "incremental-12-months"
    shutil.rmtree(snapshot, ignore_errors=True)
    for part in ("data", "out"):
        shutil.copytree(incremental / part, snapshot / part, symlinks=True)

    fulls: list[tuple[float, float]] = []
    adds: list[tuple[float, float]] = []
    for run in range(1, args.repeat + 1):
        full = job("full", [BUREAU, *months], args.levels)
        full_s, full_mb, full_report = timed(full)
        show(f"(a) full rebuild, 13 months [{run}]", full_s, full_mb, full_report)
        fulls.append((full_s, full_report["cpu_s"]))

        for part in ("data", "out"):
            shutil.rmtree(incremental / part)
            shutil.copytree(snapshot / part, incremental / part, symlinks=True)
        (incremental / "inbox" / months[12].name).unlink(missing_ok=True)
        _place(months[12], incremental / "inbox")
        inc_s, inc_mb, inc_report = timed(incremental)
        show(f"(b) refresh adding the 13th month [{run}]", inc_s, inc_mb, inc_report)
        adds.append((inc_s, inc_report["cpu_s"]))

    none_s, none_mb, none_report = timed(incremental)
    show("(c) refresh with nothing new", none_s, none_mb, none_report)

    wall = statistics.median(b for b, _ in adds) / statistics.median(a for a, _ in fulls)
    cpu = statistics.median(b for _, b in adds) / statistics.median(a for _, a in fulls)
    ratios = ", ".join(f"{b / a:.0%}" for (a, _), (b, _) in zip(fulls, adds, strict=True))
    ok = wall <= TARGET
    print(
        f"(b) / (a) = {wall:.0%} wall (runs: {ratios}), {cpu:.0%} CPU (medians; target ≤ "
        f"{TARGET:.0%}); {CPUS} CPUs" + ("" if ok else "  TARGET MISSED"),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
