"""Choosing the engine: DuckDB by default; Spark's missing pieces said in one line, no Java
needed to test them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zaitaku_cli.cli import app
from zaitaku_cli.engine import SparkOptions, open_engine
from zaitaku_cli.engine.spark import check_java, session_conf
from zaitaku_cli.errors import ConfigError, EngineError
from zaitaku_cli.warehouse import Warehouse


@pytest.fixture
def empty_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    Warehouse(path).close()
    return path


def aggregate_args(wh: Path, *more: str) -> list[str]:
    return ["aggregate", "--by", "prefecture", "-w", str(wh), "--out", str(wh.parent), *more]


def test_duckdb_is_the_warehouse_itself(empty_warehouse: Path) -> None:
    with Warehouse(empty_warehouse) as wh, open_engine("duckdb", wh) as engine:
        assert engine is wh and engine.name == "duckdb"
        assert engine.count_rows("claim_lines") == 0
        refused = r"^--engine must be one of duckdb, spark, not 'x'$"
        with pytest.raises(ConfigError, match=refused), open_engine("x", wh):
            pass


def test_without_pyspark_the_cli_says_how_to_install_it(
    empty_warehouse: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed
    result = runner.invoke(app, aggregate_args(empty_warehouse, "--engine", "spark"))
    assert result.exit_code == 1
    assert result.output == (
        "Error: --engine spark needs pyspark: pip install 'zaitaku[spark]' (or `make spark` "
        "in a checkout)\n"
    )
    # its scratch folder beside the warehouse is gone
    assert sorted(p.name for p in empty_warehouse.parent.iterdir()) == ["wh.duckdb"]


def test_a_cluster_master_needs_a_shared_export(empty_warehouse: Path, runner: CliRunner) -> None:
    # refused before any session is asked of the cluster
    args = aggregate_args(empty_warehouse, "--engine", "spark", "--spark-master", "yarn")
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: --spark-master yarn runs executors on other machines: give --spark-export"
    )


def test_spark_conf_is_key_equals_value(empty_warehouse: Path, runner: CliRunner) -> None:
    args = aggregate_args(empty_warehouse, "--engine", "spark", "--spark-conf", "memory")
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "'memory' is not KEY=VALUE (e.g. spark.executor.memory=8g)" in result.output


def fake_java(home: Path, version_line: str) -> Path:
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n", encoding="utf-8")
    java.chmod(0o755)
    return java


def test_java_17_or_newer_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "none"))
    with pytest.raises(EngineError) as missing:
        check_java()
    assert str(missing.value) == (
        f"--engine spark needs Java 17+: JAVA_HOME={tmp_path / 'none'} has no bin/java; "
        "install Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
        "`make spark` does it) or set JAVA_HOME"
    )
    old = fake_java(tmp_path / "jdk8", 'openjdk version "1.8.0_392"')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    with pytest.raises(EngineError, match=f"^--engine spark needs Java 17\\+, {old} is Java 8;"):
        check_java()
    new = fake_java(tmp_path / "jdk21", 'openjdk version "21.0.2" 2024-01-16')
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk21"))
    assert check_java() == str(new)


def test_session_settings_local_and_cluster(tmp_path: Path) -> None:
    local = session_conf("local[2]", {"spark.sql.ansi.enabled": "false"}, tmp_path)
    # ANSI stays on whatever is asked; one shuffle partition per local core
    assert local["spark.sql.ansi.enabled"] == "true"
    assert local["spark.sql.shuffle.partitions"] == "2"
    assert local["spark.sql.adaptive.enabled"] == "false"
    assert local["spark.local.dir"] == str(tmp_path)
    cluster = session_conf(
        "spark://head:7077",
        {"spark.executor.memory": "8g", "spark.driver.extraJavaOptions": "-Xss4m"},
        None,
    )
    # a cluster keeps Spark's own partitioning and adaptive execution
    assert "spark.sql.shuffle.partitions" not in cluster
    assert "spark.sql.adaptive.enabled" not in cluster
    assert cluster["spark.executor.memory"] == "8g"
    # the user's JVM options are added to the quiet log's, not put in their place
    assert cluster["spark.driver.extraJavaOptions"].startswith("-Dlog4j2.configurationFile=")
    assert cluster["spark.driver.extraJavaOptions"].endswith(" -Xss4m")
    assert SparkOptions().master == "local[2]"
