"""The engines that run the `sql/` files: DuckDB (the warehouse itself) and Apache Spark.

Aggregation talks to an `Engine` only — run a file by name into a relation later files read
(materialize), read a file's result (arrow, scalar), count or drop a relation — so the engine
is one parameter. The warehouse stays DuckDB either way: ingests, the ingest and export logs and
the manifest are its own; Spark only reads what the warehouse exports to it (engine/spark.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from zaitaku_cli.choices import check_choice
from zaitaku_cli.warehouse import Warehouse

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


class Engine(Protocol):
    """What aggregation needs of an engine. `name` arguments are `sql/` files without `.sql`
    (e.g. "marts/claims_by_area"); parameters are bound from the names the file's SQL uses."""

    name: str

    @property
    def warehouse(self) -> Warehouse:
        """The DuckDB warehouse the engine reads."""
        ...

    def materialize(
        self, name: str, params: Mapping[str, Any] | None = None, *, table: str | None = None
    ) -> str:
        """Compute `sql/<name>.sql` once into a relation named after the file (or `table`,
        where one file is needed twice with other parameters); return the name."""
        ...

    def view(self, name: str) -> str:
        """`sql/<name>.sql` (without parameters) as a relation read by the files after it."""
        ...

    def arrow(self, name: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """The result of `sql/<name>.sql` as an Arrow table, typed as DuckDB types it."""
        ...

    def scalar(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        """The one value of `sql/<name>.sql` (one row, one column)."""
        ...

    def count_rows(self, relation: str) -> int:
        """Rows of a warehouse table or of a relation materialised for this run."""
        ...

    def drop(self, relation: str) -> None:
        """Forget a relation materialised for this run."""
        ...

    def read(self, relation: str, columns: list[str]) -> pa.Table:
        """`columns` of a relation of this run, as Arrow (for work done in Python)."""
        ...

    def register(self, relation: str, table: pa.Table) -> str:
        """An Arrow table made in Python as a relation later SQL reads by name."""
        ...


@dataclass(frozen=True)
class SparkOptions:
    """Where and how `--engine spark` runs (see README, "Spark").

    master: local[2] on this machine, spark://host:7077 (standalone), yarn.
    export: where the warehouse's tables are written as Parquet for Spark to read: a folder
        every executor sees at the same path (NFS), or a Hadoop URI (hdfs://…, s3a://…) the
        driver uploads to. Default: a private folder beside the warehouse (local masters only).
    conf: further Spark settings (spark.executor.memory=8g, …); they win over zaitaku's.
    """

    master: str = "local[2]"
    export: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)


@contextmanager
def open_engine(kind: str, wh: Warehouse, spark: SparkOptions | None = None) -> Iterator[Engine]:
    """The engine `kind` over the open warehouse `wh`; Spark's session ends with the block."""
    check_choice("--engine", kind, ENGINES)
    if kind == "duckdb":
        yield wh
        return
    from zaitaku_cli.engine.spark import spark_engine

    with spark_engine(wh, spark or SparkOptions()) as engine:
        yield engine


__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "SparkOptions", "open_engine"]
