"""`make bench`: run every benchmark module (bench_*.py) and print its figures.

Benchmarks are not tests: they measure wall time and peak memory against the targets of the
issues and exit non-zero when a target is missed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))  # the benchmarks import benchlib beside them
    only = set(argv)
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}", flush=True)
        if module.main([]) not in (0, None):
            failed.append(path.stem)
    if failed:
        print(f"targets missed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
