"""`--engine spark`: the `sql/` files, transpiled to Spark SQL, run by Apache Spark.

The warehouse stays DuckDB and Spark only reads: each table a query reads is exported once from
the warehouse as Parquet (claim_lines partitioned by service month) to a folder or Hadoop URI
every executor can read, and registered as a view. Each materialised relation is written as
Parquet and read back, so later steps read its rows instead of recomputing its plan (Spark
inlines CTEs and temp views at every use). Results come back as Arrow tables typed as DuckDB
types them, so the same writer writes the same files.

Needs `pip install 'zaitaku[spark]'` (pyspark) and Java 17+.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from zaitaku_cli.engine import SparkOptions
from zaitaku_cli.engine.spark_sql import LARGE_TABLES, SparkQuery, spark_query
from zaitaku_cli.errors import ConfigError, EngineError
from zaitaku_cli.i18n import N_, join, t
from zaitaku_cli.scratch import owner_tag, remove_leftovers, scratch_dir
from zaitaku_cli.warehouse import Warehouse

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "spark_engine", "spark_session"]

# Tables exported partitioned: one folder per value, so that Spark reads a year of claim lines
# as twelve independent parts (and a cluster spreads them), and a month can be added alone.
PARTITIONS = {"claim_lines": ["service_month"]}

# Never exported: person keys (HMAC of the 被保険者番号) and the warehouse's secrets stay in it.
PRIVATE_TABLES = {"persons", "warehouse_secret"}
PRIVATE_COLUMNS = {"person_key", "raw_person_id"}

MIN_JAVA = 17  # Spark 4
INSTALL_HINT = N_("pip install 'zaitaku[spark]' (or `make spark` in a checkout)")
JAVA_HINT = N_(
    "install Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
    "`make spark` does it) or set JAVA_HOME"
)
LOG4J = Path(__file__).with_name("log4j2.properties")


# -- the session ------------------------------------------------------------------------------
def _java_version(java: str) -> int | None:
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found[1])
    return int(found[2] or 0) if major == 1 else major  # "1.8.0" is Java 8


def check_java() -> str:
    """The java that Spark will start, checked to be 17 or newer; EngineError otherwise."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        if home:
            raise EngineError(
                "--engine spark needs Java {min_java}+: JAVA_HOME={home} has no bin/java; {fix}",
                min_java=MIN_JAVA,
                home=home,
                fix=t(JAVA_HINT),
            )
        raise EngineError(
            "--engine spark needs Java {min_java}+: no java on PATH; {fix}",
            min_java=MIN_JAVA,
            fix=t(JAVA_HINT),
        )
    version = _java_version(java)
    if not version:
        raise EngineError(
            "--engine spark needs Java {min_java}+, {java} is a java whose version cannot be "
            "read; {fix}",
            min_java=MIN_JAVA,
            java=java,
            fix=t(JAVA_HINT),
        )
    if version < MIN_JAVA:
        raise EngineError(
            "--engine spark needs Java {min_java}+, {java} is Java {version}; {fix}",
            min_java=MIN_JAVA,
            java=java,
            version=version,
            fix=t(JAVA_HINT),
        )
    return java


def _local_cores(master: str) -> int | None:
    """Cores of a local master (local, local[2], local[*], local[4,2]); None for a cluster."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master.strip())
    if not found:
        return None
    if found[1] in (None, ""):
        return 1
    return os.cpu_count() or 1 if found[1] == "*" else int(found[1])


def session_conf(master: str, conf: Mapping[str, str], local_dir: Path | None) -> dict[str, str]:
    """zaitaku's Spark settings for `master`, the user's `conf` over them, ANSI mode forced on."""
    settings = {
        "spark.app.name": "zaitaku",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        # quiet JVM: Spark's INFO/WARN lines would bury the command's own output
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J.as_uri()}",
    }
    cores = _local_cores(master)
    if cores is not None:
        # Spark's default of 200 shuffle partitions is for clusters: on local[2] it makes 200
        # tiny tasks per step; one per core keeps the demo's steps to a few tasks each.
        settings["spark.sql.shuffle.partitions"] = str(max(cores, 1))
        settings["spark.default.parallelism"] = str(max(cores, 1))
        settings["spark.ui.enabled"] = "false"  # several runs on one machine: no port to share
        # Adaptive execution re-plans after every stage, as a job of its own: worth it on a
        # cluster (skew, coalescing 200 partitions), pure overhead on one or two partitions
        # (measured on the demo data: a level in 15 s instead of 24 s).
        settings["spark.sql.adaptive.enabled"] = "false"
        if local_dir is not None:
            settings["spark.local.dir"] = str(local_dir)  # shuffle spill beside the warehouse
    java_options = "spark.driver.extraJavaOptions"  # the user's are added to the quiet log's
    joined = f"{settings[java_options]} {conf.get(java_options, '')}".strip()
    settings.update(conf)
    settings[java_options] = joined
    # Every figure is checked against DuckDB's with ANSI on: overflow and bad casts fail loudly
    # instead of turning into null or wrapping around.
    settings["spark.sql.ansi.enabled"] = "true"
    return settings


def spark_session(
    master: str = "local[2]", conf: Mapping[str, str] | None = None, local_dir: Path | None = None
) -> tuple[SparkSession, bool]:
    """The Spark session of this process, started unless one is already running (tests, a
    notebook): (session, whether this call started it, and so must stop it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError("--engine spark needs pyspark: {fix}", fix=t(INSTALL_HINT)) from exc
    settings = session_conf(master, conf or {}, local_dir)
    running = SparkSession.getActiveSession()
    if running is None:
        check_java()
        builder = SparkSession.builder.master(master)
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            running = builder.getOrCreate()
        except Exception as exc:  # the gateway's failures are plain Exceptions (RuntimeError…)
            raise EngineError(
                "Spark did not start at {master}: {cause}", master=master, cause=_first_line(exc)
            ) from exc
        running.sparkContext.setLogLevel("ERROR")
        started = True
    else:
        started = False
    return running, started


# -- where the warehouse's tables and the relations go -----------------------------------------
def _is_uri(location: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location) is not None


class _Store:
    """The run's folder for Spark: `tables/` (exported from the warehouse by DuckDB) and
    `relations/` (written by Spark). A folder every executor mounts at the same path is written
    in place; to a Hadoop URI (hdfs://, s3a://, file://…) the driver uploads each table from
    the local scratch folder where DuckDB wrote it."""

    def __init__(self, spark: SparkSession, root: str, local_tables: Path, uploads: bool) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.local_tables = local_tables
        self.uploads = uploads

    def table_uri(self, table: str) -> str:
        return f"{self.root}/tables/{table}"

    def relation_uri(self, relation: str, version: int) -> str:
        return f"{self.root}/relations/{relation}-{version}"

    def publish_table(self, table: str) -> None:
        """Make the exported `tables/<table>` readable by the executors."""
        if not self.uploads:
            return
        fs, target = self._hadoop_path(self.table_uri(table))
        fs.delete(target, True)  # a folder copied onto an existing one would land inside it
        jvm = self.spark._jvm
        assert jvm is not None
        source = jvm.org.apache.hadoop.fs.Path((self.local_tables / table).as_uri())
        fs.copyFromLocalFile(False, True, source, target)
        shutil.rmtree(self.local_tables / table, ignore_errors=True)

    def delete(self, uri: str) -> None:
        fs, path = self._hadoop_path(uri)
        fs.delete(path, True)

    def _hadoop_path(self, uri: str) -> tuple[Any, Any]:
        jvm = self.spark._jvm
        assert jvm is not None
        path = jvm.org.apache.hadoop.fs.Path(uri)
        return path.getFileSystem(self.spark._jsc.hadoopConfiguration()), path


@contextmanager
def _store(spark: SparkSession, run: Path, options: SparkOptions) -> Iterator[_Store]:
    """This run's store, removed at the end. A killed run's folder is removed by the next run
    (scratch.py); one on a Hadoop URI is left for its owner to delete (see the README)."""
    export = options.export
    if export is None:
        yield _Store(spark, run.as_uri(), run / "tables", uploads=False)
        return
    if not _is_uri(export):
        folder = Path(export).absolute()
        folder.mkdir(parents=True, exist_ok=True)
        remove_leftovers(folder)
        with scratch_dir(folder, "spark") as shared:
            yield _Store(spark, shared.as_uri(), shared / "tables", uploads=False)
        return
    name = f"zaitaku-{owner_tag()}-{secrets.token_hex(4)}"
    store = _Store(spark, f"{export.rstrip('/')}/{name}", run / "tables", uploads=True)
    try:
        yield store
    finally:
        store.delete(store.root)


# -- the engine -------------------------------------------------------------------------------
class SparkEngine:
    """The Engine of zaitaku_cli.engine on a Spark session, over one open warehouse.

    One engine per run: a warehouse table is exported at its first use and not again, so an
    ingest into the warehouse during the engine's life is not seen by it."""

    name = "spark"

    def __init__(
        self,
        wh: Warehouse,
        spark: SparkSession,
        store: _Store,
        sql_conf: Mapping[str, str] | None = None,
    ) -> None:
        self.wh = wh
        # a session of its own (same JVM and executors): its views are its run's alone, even
        # when another run — a test, a notebook — works in the same process
        self.spark = spark.newSession()
        self.store = store
        # the run's SQL settings, also on a session someone else started (ANSI on included)
        for key, value in {**(sql_conf or {}), "spark.sql.ansi.enabled": "true"}.items():
            self.spark.conf.set(key, value)
        self._views: set[str] = set()  # warehouse tables exported and registered
        self._versions: dict[str, int] = {}  # relation → how many times materialised
        self._keys: dict[str, tuple[Any, ...]] = {}  # relation → what it was computed from
        self._paths: dict[str, str] = {}  # relation → its Parquet folder
        self._large: set[str] = set(LARGE_TABLES)  # and the relations computed from them

    # -- Engine ---------------------------------------------------------------------------------
    @property
    def warehouse(self) -> Warehouse:
        return self.wh

    def materialize(
        self, name: str, params: Mapping[str, Any] | None = None, *, table: str | None = None
    ) -> str:
        query = self._query(name, params)
        relation = (table or name.rsplit("/", 1)[-1]).lower()
        # the same text over the same inputs (a relation both builders need): computed once
        key = (query.sql, tuple(sorted((r, self._versions.get(r, 0)) for r in query.reads)))
        if self._keys.get(relation) == key:
            return relation
        version = self._versions.get(relation, 0) + 1
        with self._steps(query) as frame, self._failure(name):
            uri = self._keep(frame, relation, version)  # the view now reads the new rows
        old = self._paths.get(relation)
        if old is not None:
            self._discard(old)
        if query.reads & self._large:
            self._large.add(relation)
        else:
            self._large.discard(relation)
        self._versions[relation] = version
        self._keys[relation] = key
        self._paths[relation] = uri
        return relation

    def arrow(self, name: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        query = self._query(name, params)
        with self._steps(query) as frame, self._failure(name):
            table = frame.toArrow()
        return duckdb_typed(table)

    def scalar(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        query = self._query(name, params)
        with self._steps(query) as frame, self._failure(name):
            rows = frame.collect()
        return rows[0][0]

    def view(self, name: str) -> str:
        """Materialised, unlike DuckDB's view: Spark would compute a view again in each of
        the relations that read it (the claims line grain: in five of them)."""
        return self.materialize(name)

    def read(self, relation: str, columns: list[str]) -> pa.Table:
        self._register_sources({relation.lower()})
        with self._failure(relation):
            table = self.spark.table(relation).select(*columns).toArrow()
        return duckdb_typed(table)

    def register(self, relation: str, table: pa.Table) -> str:
        """Written as Parquet beside the exported tables (and uploaded with them), so that
        executors read it as they read the warehouse's tables."""
        import pyarrow.parquet as pq

        relation = relation.lower()
        self._forget(relation)
        self._views.discard(relation)
        local = self.store.local_tables / relation
        shutil.rmtree(local, ignore_errors=True)
        local.mkdir(parents=True)
        pq.write_table(table, local / "part-0.parquet")
        self.store.publish_table(relation)
        with self._failure(relation):
            self.spark.read.parquet(self.store.table_uri(relation)).createOrReplaceTempView(
                relation
            )
        self._views.add(relation)
        self._versions[relation] = self._versions.get(relation, 0) + 1
        self._large.discard(relation)
        return relation

    def count_rows(self, relation: str) -> int:
        self._register_sources({relation.lower()})
        with self._failure(relation):
            return int(self.spark.table(relation).count())

    def drop(self, relation: str) -> None:
        self._forget(relation)
        self._keys.pop(relation, None)
        # later materialisations that read it must not be taken as up to date
        self._versions[relation] = self._versions.get(relation, 0) + 1

    # -- inside -------------------------------------------------------------------------------
    def _query(self, name: str, params: Mapping[str, Any] | None) -> SparkQuery:
        query = spark_query(name, params, frozenset(self._large))
        self._register_sources(query.reads)
        return query

    def _register_sources(self, relations: set[str] | frozenset[str]) -> None:
        """Export from the warehouse each table read that Spark does not have yet."""
        for table in sorted(relations):
            if table in self._views or table in self._paths:
                continue
            self._export(table)
            self._views.add(table)

    def _export(self, table: str) -> None:
        if table in PRIVATE_TABLES:
            raise EngineError(
                "{table} holds person keys or secrets: it never leaves the warehouse", table=table
            )
        relation = self.wh.table(table)
        private = PRIVATE_COLUMNS & {c.lower() for c in relation.columns}
        if private:
            raise EngineError(
                "{table} has {columns}: it stays in the warehouse",
                table=table,
                columns=join(sorted(private)),
            )
        local = self.store.local_tables / table
        local.parent.mkdir(parents=True, exist_ok=True)
        partitions = PARTITIONS.get(table)
        if partitions and not relation.limit(1).fetchall():
            partitions = None  # no row, no partition folder: one file, so the schema is there
        if partitions:
            relation.write_parquet(str(local), partition_by=partitions)
        else:
            local.mkdir()
            relation.write_parquet(str(local / "part-0.parquet"))
        self.store.publish_table(table)
        with self._failure(table):
            frame = self.spark.read.parquet(self.store.table_uri(table))
            if partitions:
                # a folder name is text: give the partition column its warehouse type back
                frame = _typed_partitions(frame, relation, partitions)
            frame.createOrReplaceTempView(table)

    @contextmanager
    def _steps(self, query: SparkQuery) -> Iterator[DataFrame]:
        """The final query of `query` as a DataFrame, its steps computed and kept until the
        block ends."""
        kept: list[tuple[str, str]] = []
        try:
            for relation, sql in query.steps:
                with self._failure(query.name):
                    kept.append((relation, self._keep(self.spark.sql(sql), relation, 0)))
            with self._failure(query.name):
                yield self.spark.sql(query.sql)
        finally:
            for relation, uri in kept:
                self.spark.catalog.dropTempView(relation)
                self._discard(uri)

    def _keep(self, frame: DataFrame, relation: str, version: int) -> str:
        """Compute `frame` once and register its rows as the view `relation`; return the
        Parquet folder that keeps them. Parquet rather than cache() or localCheckpoint(): the
        same speed on the demo data (measured), and on a cluster the rows survive a lost
        executor and need no memory: a 10¹⁰-line step does not fit in the executors' RAM."""
        uri = self.store.relation_uri(relation, version)
        frame.write.parquet(uri)
        # the schema given, not inferred: an empty relation has no file to infer it from
        self.spark.read.schema(frame.schema).parquet(uri).createOrReplaceTempView(relation)
        return uri

    def _discard(self, uri: str) -> None:
        self.store.delete(uri)

    def _forget(self, relation: str) -> None:
        old = self._paths.pop(relation, None)
        if old is not None:
            self.spark.catalog.dropTempView(relation)
            self._discard(old)

    @contextmanager
    def _failure(self, what: str) -> Iterator[None]:
        """Spark's errors as one EngineError naming the file (or table) that failed."""
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            yield
        except (PySparkException, Py4JError) as exc:
            source = f"sql/{what}.sql" if "/" in what else what
            raise EngineError(
                "Spark failed on {source}: {cause}. Memory: raise spark.driver.memory (local) "
                "or spark.executor.memory with --spark-conf"
                if _is_memory(exc)
                else "Spark failed on {source}: {cause}",
                source=source,
                cause=_first_line(exc),
            ) from exc


def _typed_partitions(frame: DataFrame, relation: Any, partitions: list[str]) -> DataFrame:
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    spark_types = {"DATE": "date", "VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint"}
    for column in partitions:
        frame = frame.withColumn(column, frame[column].cast(spark_types[types[column]]))
    return frame.select(*relation.columns)  # the warehouse's column order


def duckdb_typed(table: pa.Table) -> pa.Table:
    """Spark's Arrow as DuckDB's: every field nullable (DuckDB never says NOT NULL of a result,
    Spark does of count(*) and literals), 32-bit offsets for strings (DuckDB's `string`, where
    Spark may send `large_string`), no Spark metadata. Values are not touched."""
    fields = []
    for f in table.schema:
        kind = f.type
        if pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_large_binary(kind):
            kind = pa.binary()
        fields.append(pa.field(f.name, kind, nullable=True))
    return table.cast(pa.schema(fields))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_memory(exc: BaseException) -> bool:
    text = str(exc)
    return "OutOfMemoryError" in text or "Java heap space" in text


def check_options(options: SparkOptions) -> None:
    """What can be refused before a session is started (and a cluster is asked for one)."""
    if options.export is None and _local_cores(options.master) is None:
        raise ConfigError(
            "--spark-master {master} runs executors on other machines: give --spark-export a "
            "folder they all mount at the same path, or an hdfs:// (or other Hadoop) URI, for "
            "the warehouse's tables",
            master=options.master,
        )


@contextmanager
def spark_engine(
    wh: Warehouse, options: SparkOptions, session: SparkSession | None = None
) -> Iterator[SparkEngine]:
    """A Spark engine over `wh` for one run: a session (`session`, or this process's, started
    if need be and then stopped with the block) and a store removed with the block."""
    check_options(options)
    with scratch_dir(wh.path.parent, "spark") as run:
        started = False
        if session is None:
            session, started = spark_session(options.master, options.conf, run / "spark-local")
        try:
            settings = session_conf(options.master, options.conf, None)
            sql_conf = {k: v for k, v in settings.items() if k.startswith("spark.sql.")}
            with _store(session, run, options) as store:
                yield SparkEngine(wh, session, store, sql_conf)
        finally:
            if started:
                session.stop()
