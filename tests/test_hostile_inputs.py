"""Hostile inputs (issue 7 §4): each is refused with one clear message and exit 1, and the
warehouse and the exports are exactly as they were."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from factories.hostile import Hostile, corpus
from zaitaku_cli.cli import app

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
TABLES = (
    "ingest_log",
    "rejects",
    "facility_notifications",
    "facility_counts",
    "claim_lines",
    "persons",
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse holding the sample data and its published exports, made once."""
    folder = tmp_path_factory.mktemp("loaded")
    wh, out = folder / "wh.duckdb", folder / "out"
    runner = CliRunner()
    for args in (
        ["ingest", "facilities", str(RAW / "bureau_tohoku_2025-10.xlsx")],
        ["ingest", "facility-counts", str(RAW / "iwate_morioka_counts.csv"), "--pref", "03"],
        ["ingest", "claims", str(RAW / "kdb_claims_sample.csv")],
        ["aggregate", "--by", "prefecture", "--out", str(out)],
    ):
        result = runner.invoke(app, [*args, "-w", str(wh)])
        assert result.exit_code == 0, result.output
    return wh, out


def state(wh: Path, out: Path) -> tuple[dict[str, object], dict[str, str]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        tables = {
            t: con.execute(f"select count(*), hash(list(t order by all)) from {t} as t").fetchall()
            for t in TABLES
        }
    finally:
        con.close()
    files = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    return tables, files


# Entries of the corpus whose refusal is still to be built (strict xfail: each must fail).
PENDING: set[str] = set()


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(h, marks=pytest.mark.xfail(strict=True, reason="pending"))
        if h.name in PENDING
        else h
        for h in corpus()
    ],
    ids=lambda h: h.name,
)
def test_hostile_file_is_refused_cleanly(
    hostile: Hostile,
    loaded: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    wh = tmp_path / "wh.duckdb"
    shutil.copy(loaded[0], wh)
    out = loaded[1]
    before = state(wh, out)
    path = hostile.build(tmp_path)

    result = CliRunner().invoke(app, [*hostile.command, str(path), "-w", str(wh)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: "), result.output
    assert result.output.count("Error: ") == 1
    assert path.name in result.output
    for phrase in hostile.says:
        assert phrase in result.output, result.output
    assert state(wh, out) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 30
