"""Setting precedence: flag > ZAITAKU_* variable > zaitaku.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli.config import DEFAULT_WAREHOUSE, check_config_keys, resolve_settings
from zaitaku_cli.errors import ConfigError


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


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zaitaku.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_misspelt_key_is_refused_with_the_near_one(tmp_path: Path) -> None:
    toml = _toml(tmp_path, '[zaitaku]\nwarehose = "/srv/zaitaku.duckdb"\n')
    with pytest.raises(ConfigError) as err:
        resolve_settings(config_file=toml)
    assert str(err.value) == (
        f"{toml}: unknown setting 'warehose' — did you mean 'warehouse'? "
        "Known at the top level: log, memory_limit, out_dir, refresh, warehouse"
    )


def test_an_unknown_key_far_from_any_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    toml = _toml(tmp_path, 'colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown setting 'colour' — Known at the top level: log"):
        resolve_settings(config_file=toml)


def test_nested_sections_are_checked_against_their_own_keys(tmp_path: Path) -> None:
    # the shape a later section (input folders per kind) will have
    schema = {"warehouse": str, "inputs": {"claims": str, "facilities": str}}
    file = tmp_path / "zaitaku.toml"
    check_config_keys({"inputs": {"claims": "/in/kdb"}}, schema, file=file)
    with pytest.raises(ConfigError) as err:
        check_config_keys({"inputs": {"claim": "/in/kdb"}}, schema, file=file)
    assert str(err.value) == (
        f"{file}: unknown setting 'inputs.claim' — did you mean 'inputs.claims'? "
        "Known in [inputs]: claims, facilities"
    )
    with pytest.raises(ConfigError, match="'inputs' must be a section, written \\[inputs\\]"):
        check_config_keys({"inputs": "/in"}, schema, file=file)


def test_a_value_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    toml = _toml(tmp_path, "memory_limit = 2\n")
    with pytest.raises(ConfigError) as err:
        resolve_settings(config_file=toml)
    assert str(err.value) == f"{toml}: 'memory_limit' must be text in quotes, not 2"


def test_settings_both_in_and_outside_the_zaitaku_table_are_refused(tmp_path: Path) -> None:
    toml = _toml(tmp_path, 'out_dir = "out"\n[zaitaku]\nwarehouse = "w.duckdb"\n')
    with pytest.raises(ConfigError, match=r"both under \[zaitaku\] and outside it \(out_dir\)"):
        resolve_settings(config_file=toml)


@pytest.mark.parametrize(
    ("given", "used"), [("2GB", "2GB"), ("512 mb", "512MB"), ("1.5GiB", "1.5GiB")]
)
def test_memory_limit_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("ZAITAKU_MEMORY_LIMIT", given)
    assert resolve_settings(config_file=tmp_path / "none.toml").memory_limit == used


def test_a_bad_memory_limit_names_the_variable_and_the_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZAITAKU_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError) as err:
        resolve_settings(config_file=tmp_path / "none.toml")
    assert str(err.value) == (
        "ZAITAKU_MEMORY_LIMIT: 'lots' is not a memory size — write a number and a unit, "
        "e.g. 2GB or 512MB (KB, MB, GB, TB; or KiB, MiB, GiB, TiB)"
    )
    monkeypatch.delenv("ZAITAKU_MEMORY_LIMIT")
    toml = _toml(tmp_path, 'memory_limit = "2G"\n')
    with pytest.raises(ConfigError, match=f"^{toml}: memory_limit: '2G' is not a memory size"):
        resolve_settings(config_file=toml)


def test_where_each_setting_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZAITAKU_WAREHOUSE", raising=False)
    monkeypatch.delenv("ZAITAKU_LOG", raising=False)
    monkeypatch.delenv("ZAITAKU_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("ZAITAKU_OUT", "/srv/out")
    toml = _toml(tmp_path, 'log = "/var/log/zaitaku.log"\n')
    got = resolve_settings(warehouse=Path("w.duckdb"), config_file=toml)
    assert got.log == Path("/var/log/zaitaku.log")
    assert got.sources == {
        "log": f"{toml}: log",
        "memory_limit": "default",
        "warehouse": "--warehouse",
        "out_dir": "ZAITAKU_OUT",
    }
