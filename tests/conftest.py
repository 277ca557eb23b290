"""Shared fixtures: a fresh warehouse per test, and a CLI runner with a fixed terminal width."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zaitaku_cli.warehouse import Warehouse

# The suite checks English texts: a tester's Japanese locale must not change them (the tests of
# the Japanese texts set the language themselves). Child processes inherit this.
os.environ["ZAITAKU_LANG"] = "en"


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "zaitaku.duckdb"


@pytest.fixture
def warehouse(warehouse_path: Path) -> Iterator[Warehouse]:
    with Warehouse(warehouse_path, memory_limit="512MB") as wh:
        yield wh


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # Rich reads COLUMNS: a fixed width keeps table output stable across terminals.
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("ZAITAKU_WAREHOUSE", raising=False)
    return CliRunner()
