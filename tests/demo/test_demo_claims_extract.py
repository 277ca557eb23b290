"""The demo claims generator's monthly extracts (benchmarks/bench_refresh.py builds history from
them): one month per file, the same patients every month, the default file unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli.demo.claims_extract import write_claims_extract


def _column(path: Path, index: int) -> list[str]:
    lines = path.read_bytes().decode("cp932").splitlines()[1:]
    return [line.split(",")[index] for line in lines]


def test_a_monthly_extract_holds_its_month_only(tmp_path: Path) -> None:
    april = write_claims_extract(tmp_path / "a.csv", rows=2_000, months=["202304"])
    may = write_claims_extract(tmp_path / "m.csv", rows=2_000, months=["202305"])
    assert set(_column(april, 6)) == {"202304"}
    assert set(_column(may, 6)) == {"202305"}
    # the same seed draws the same patients (被保険者番号, column 2) whatever the month
    assert _column(april, 1) == _column(may, 1)


def test_the_default_draws_from_every_month(tmp_path: Path) -> None:
    # what --months leaves out must not change the files made before it existed
    every = write_claims_extract(tmp_path / "e.csv", rows=3_000, seed=3)
    listed = write_claims_extract(
        tmp_path / "l.csv",
        rows=3_000,
        seed=3,
        months=[f"{2023 + (3 + i) // 12}{(3 + i) % 12 + 1:02d}" for i in range(24)],
    )
    assert every.read_bytes() == listed.read_bytes()
    assert len(set(_column(every, 6))) == 24


def test_months_outside_the_generator_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"months outside 202304–202503: \['202604'\]"):
        write_claims_extract(tmp_path / "x.csv", rows=10, months=["202604"])
