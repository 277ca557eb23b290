"""Setting precedence: flag > ZAITAKU_* variable > zaitaku.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli.config import DEFAULT_WAREHOUSE, resolve_settings


def test_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZAITAKU_WAREHOUSE", raising=False)
    assert resolve_settings(config_file=tmp_path / "none.toml").warehouse == DEFAULT_WAREHOUSE


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "zaitaku.toml"
    toml.write_text('[zaitaku]\nwarehouse = "from-file.duckdb"\n', encoding="utf-8")
    monkeypatch.delenv("ZAITAKU_WAREHOUSE", raising=False)
    # a relative path in the file is read from the file's folder
    assert resolve_settings(config_file=toml).warehouse == tmp_path / "from-file.duckdb"
    monkeypatch.setenv("ZAITAKU_WAREHOUSE", "from-env.duckdb")
    assert resolve_settings(config_file=toml).warehouse == Path("from-env.duckdb")
    got = resolve_settings(warehouse=Path("flag.duckdb"), config_file=toml)
    assert got.warehouse == Path("flag.duckdb")
