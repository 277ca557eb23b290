"""The Spark session of the engine tests: one per test run (a JVM takes seconds to start).

Where pyspark or Java 17+ is missing the Spark tests are skipped with the reason; under CI
(CI set) they fail instead: .ci/run installs both, so a skip there would hide a broken install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zaitaku_cli.cli import app

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"

# A test run is short: the JVM's quick compiler alone (C1) warms up in about half the time
# of the default tiered one on the demo data (measured: first level 54 s → 36 s on a loaded
# 2-core machine); its code cache needs more than C1's default 48 MB for Spark's generated code.
TEST_CONF = {
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m",
}


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'zaitaku[spark]' (or make spark)"
    from zaitaku_cli.engine.spark import check_java
    from zaitaku_cli.errors import EngineError

    try:
        check_java()
    except EngineError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = spark_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI must run the Spark tests (.ci/run installs Java and pyspark): {reason}"
            )
        pytest.skip(reason)
    from zaitaku_cli.engine.spark import spark_session

    session, started = spark_session("local[2]", TEST_CONF, tmp_path_factory.mktemp("spark-local"))
    yield session
    if started:
        session.stop()


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the sample data of data/raw, loaded as `make demo` loads it."""
    wh = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    runner = CliRunner()
    for args in (
        ["ingest", "facilities", str(RAW / "bureau_tohoku_2025-10.xlsx")],
        ["ingest", "facility-counts", str(RAW / "iwate_morioka_counts.csv"), "--pref", "03"],
        ["ingest", "claims", str(RAW / "kdb_claims_sample.csv")],
    ):
        result = runner.invoke(app, [*args, "-w", str(wh), "-q"])
        assert result.exit_code == 0, result.output
    return wh
