"""The DuckDB warehouse: bounded-memory connection, migrations, reference tables, ingest log.

Every question about the data is a file of `sql/`, run by name (sql, rows, arrow, scalar,
materialize, view). The SQL written here is the warehouse's own plumbing, and no other module
writes any: settings, migrations and transactions, relations of a run (Arrow inputs, temp
tables and views, drop), generic writes (insert a file's rows or an Arrow table, delete the rows
matching keys) and the records the warehouse keeps of its own work (ingest, export and run logs,
the HMAC key).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.errors import OutOfMemory, WarehouseBusy, WarehouseError
from zaitaku_cli.reference import register_reference_tables
from zaitaku_cli.scratch import remove_leftovers, remove_stale_spill, spill_dir
from zaitaku_cli.sql_files import bind_parameters, load_sql, migration_files

HMAC_SECRET_NAME = "person_key_hmac"
# In a migration's header: every statement is `if not exists`, so applying it to a warehouse
# that already has it changes nothing (see Warehouse.migrate).
REAPPLY_MARK = "-- zaitaku: may be applied again"


@dataclass(frozen=True)
class IngestRecord:
    ingest_id: int
    kind: str
    file_name: str
    sha256: str
    as_of: date | None
    rows_loaded: int
    ingested_at: datetime


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class WarehouseRecords:
    """The records a warehouse keeps of its own work (ingest log, codes added to the code table,
    run history), read alike from an open Warehouse and from a read-only connection
    (connect_read_only: refresh --dry-run, runs)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def close(self) -> None:
        self.con.close()

    def _one(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        # fetchall, not fetchone: DuckDB 2 refuses new work while a result is unfinished.
        rows = self.con.execute(query, params or {}).fetchall()
        return rows[0] if rows else None

    def _dicts(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(query, params or {})
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def ingest_log(self) -> list[dict[str, Any]]:
        """Every row of ingest_log, every column, in ingest order (removed files included)."""
        return self._dicts("select * from ingest_log order by ingest_id")

    def code_additions(self) -> list[tuple[Any, ...]]:
        """(code, indicator) of the codes added to the code table, by code."""
        return self.con.execute(
            "select code, indicator from claim_code_additions order by code"
        ).fetchall()

    def recent_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` rows of run_history, newest first (none before migration 005)."""
        row = self._one(
            "select count(*) from information_schema.tables where table_name = 'run_history'"
        )
        if not row or not row[0]:
            return []
        return self._dicts(
            "select run_id, command, started_at, ended_at, status, exit_code, host, pid, files, "
            "outputs, warnings, error, seconds from run_history order by run_id desc limit $n",
            {"n": limit},
        )


class Warehouse(WarehouseRecords):
    """One open DuckDB warehouse. Use as a context manager; every ingest is one transaction.

    It is also the DuckDB engine of zaitaku.engine.Engine (materialize, arrow, scalar, …).
    Questions about the data are files of sql/, run by name: sql, rows, arrow, scalar,
    materialize, view. Everything else is plumbing, and the only SQL written in Python:
    relations of a run (inputs, register, has_relation, read, count_rows, table, drop,
    drop_view), writes whose rows come from a file or from Arrow (insert, append, delete_rows,
    delete_matching, ingests_matching, prune), transactions and migrations, and the records
    (ingest, export and run logs, the HMAC key).
    """

    name = "duckdb"

    def __init__(self, path: Path, *, memory_limit: str = "1GB", threads: int | None = None):
        self.path = path
        self.memory_limit = memory_limit
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            super().__init__(duckdb.connect(str(path)))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise _busy(path, str(exc)) from exc
            raise WarehouseError(
                "cannot open warehouse {path}: {reason}", path=path, reason=exc
            ) from exc
        except duckdb.Error as exc:
            raise WarehouseError(
                "cannot open warehouse {path}: {reason}", path=path, reason=exc
            ) from exc
        # Holding the write lock, this process alone may use the spill folder: what is there
        # was left by a killed run, as are dead runs' scratch folders beside the warehouse.
        remove_stale_spill(path)
        remove_leftovers(path.parent)
        # Bounded memory: DuckDB spills to a temp directory beside the warehouse beyond this.
        self.con.execute("set memory_limit = $limit", {"limit": memory_limit})
        self.con.execute("set temp_directory = $dir", {"dir": str(spill_dir(path))})
        self.con.execute("set preserve_insertion_order = false")
        if threads:
            self.con.execute("set threads = $n", {"n": int(threads)})
        try:
            self.migrate()
            register_reference_tables(self.con)
            # the code table in use: the packaged codes and those added to this warehouse
            self.view("staging/ref_claim_codes")
        except duckdb.OutOfMemoryException as exc:
            self.close()
            raise self._out_of_memory(exc) from exc

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise self._out_of_memory(exc) from exc

    def _out_of_memory(self, exc: duckdb.OutOfMemoryException) -> OutOfMemory:
        # Wherever it happens, say what to change; DuckDB's own text says only what failed.
        return OutOfMemory(
            "DuckDB ran out of memory ({detail}). Raise the limit, now {limit}, with "
            "ZAITAKU_MEMORY_LIMIT or memory_limit in zaitaku.toml (e.g. 4GB); beyond it DuckDB "
            "spills to {spill}: check the free disk space there",
            detail=str(exc).splitlines()[0],
            limit=self.memory_limit,
            spill=spill_dir(self.path),
        )

    def migrate(self) -> int:
        """Apply the numbered migrations not yet applied; return the schema version.

        The set of applied numbers is recorded, not only the highest: migrations are numbered
        by parallel branches, so 005 may reach a warehouse before 002 does, and 002 must still
        be applied then. Warehouses from before this record had every number up to their
        schema_version.
        """
        self.con.execute(
            "create table if not exists zaitaku_meta (key varchar primary key, value varchar)"
        )
        row = self._one("select value from zaitaku_meta where key = 'schema_version'")
        current = int(row[0]) if row else 0
        files = migration_files()
        listed = self._one("select value from zaitaku_meta where key = 'migrations_applied'")
        if listed:
            applied = {int(n) for n in str(listed[0]).split(",") if n}
        else:
            # Before the record, every number up to schema_version counted as applied; but a
            # migration merged after a higher number may be missing from such a warehouse.
            # One that says it can run again (REAPPLY_MARK) is then run: it is harmless twice.
            applied = {
                number
                for number, path in files
                if number <= current and REAPPLY_MARK not in path.read_text(encoding="utf-8")
            }
        for number, path in files:
            if number in applied:
                continue
            applied.add(number)
            with self.transaction():
                self.con.execute(path.read_text(encoding="utf-8"))
                self.con.execute(
                    "insert or replace into zaitaku_meta values ('schema_version', $v), "
                    "('migrations_applied', $applied)",
                    {"v": str(max(applied)), "applied": ",".join(map(str, sorted(applied)))},
                )
            current = max(applied)
        return current

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: a failed ingest leaves the warehouse as it was."""
        self.con.execute("begin transaction")
        try:
            yield self.con
            self.con.execute("commit")
        except BaseException:
            # also when the commit itself failed or was interrupted: the connection must not
            # stay in a transaction that a later query (what was loaded?) would read from
            self._rollback()
            raise

    def _rollback(self) -> None:
        # no transaction left: the commit went through, or DuckDB ended it
        with suppress(duckdb.TransactionException):
            self.con.execute("rollback")

    # -- queries of sql/ ---------------------------------------------------------------------
    def fetch_all(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of a query written in Python: for tests and the checks of a warehouse by hand;
        the package asks its questions through the files of sql/ (rows, arrow, scalar)."""
        return self.con.execute(query, params or {}).fetchall()

    def rows(self, name: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of `sql/<name>.sql`, as tuples (for small results read in Python)."""
        return self.sql(name, params).fetchall()

    def sql(self, name: str, params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run `sql/<name>.sql` with $named parameters (those its parsed SQL uses are bound)."""
        used = bind_parameters(name, params)
        text = load_sql(name)
        return self.con.execute(text, used) if used else self.con.execute(text)

    def arrow(self, name: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Result of `sql/<name>.sql` as an Arrow table (no extra copy of the rows)."""
        used = bind_parameters(name, params)
        return self.con.sql(load_sql(name), params=used or None).to_arrow_table()

    def scalar(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        """The one value of `sql/<name>.sql` (a query of one row and one column)."""
        rows = self.sql(name, params).fetchall()
        return rows[0][0]

    def view(self, name: str, *, relation: str | None = None) -> str:
        """Define `sql/<name>.sql` as a temp view named after the file (or `relation`): a query
        read once, straight into its consumer, need not be stored (DuckDB views take no
        parameters)."""
        view = relation or name.rsplit("/", 1)[-1]
        text = load_sql(name).rstrip().rstrip(";")
        self.con.execute(f"create or replace temp view {_identifier(view)} as {text}")
        return view

    def materialize(
        self, name: str, params: Mapping[str, Any] | None = None, *, table: str | None = None
    ) -> str:
        """Run `sql/<name>.sql` into a temp table named after the file (e.g. stg_area_units),
        or `table` where one relation is needed twice with other parameters.

        Later SQL files read it by name, so file paths and parameters stay out of the SQL.
        """
        table = table or name.rsplit("/", 1)[-1]
        text = load_sql(name).rstrip().rstrip(";")
        used = bind_parameters(name, params)
        self.con.execute(f"create or replace temp table {_identifier(table)} as {text}", used)
        return table

    # -- relations of a run ----------------------------------------------------------------
    @property
    def warehouse(self) -> Warehouse:
        """The warehouse an engine reads (for DuckDB, itself)."""
        return self

    def register(self, relation: str, table: pa.Table) -> str:
        """An Arrow table made in Python as a relation later SQL reads by name (a temp table:
        it outlives the Arrow table)."""
        with self.inputs(zaitaku_registered_arrow=table):
            self.con.execute(
                f"create or replace temp table {_identifier(relation)} as "
                "select * from zaitaku_registered_arrow"
            )
        return relation

    @contextmanager
    def inputs(self, **tables: pa.Table) -> Iterator[None]:
        """Arrow tables made in Python, read by name by the SQL run inside the block (no copy:
        DuckDB scans them where they are); gone after it."""
        for name, table in tables.items():
            self.con.register(name, table)
        try:
            yield
        finally:
            for name in tables:
                self.con.unregister(name)

    def has_relation(self, relation: str) -> bool:
        """Whether a table, view or registered Arrow table of this name can be read."""
        try:
            self.con.execute(f"select 1 from {_identifier(relation)} limit 0")
        except duckdb.CatalogException:
            return False
        return True

    def count_rows(self, relation: str, where: Mapping[str, Any] | None = None) -> int:
        """Rows of a table or of a relation materialised for this run (those whose columns
        equal `where`'s values, when given)."""
        condition, params = _equal(where)
        row = self._one(f"select count(*) from {_identifier(relation)}{condition}", params)
        return int(row[0]) if row else 0

    def read(
        self,
        relation: str,
        columns: list[str] | None = None,
        *,
        where: Mapping[str, Any] | None = None,
    ) -> pa.Table:
        """`columns` (all by default) of a relation of this run or of a table, as Arrow; only
        the rows whose columns equal `where`'s values, when given."""
        listed = ", ".join(_identifier(c) for c in columns) if columns else "*"
        condition, params = _equal(where)
        return self.con.sql(
            f"select {listed} from {_identifier(relation)}{condition}", params=params or None
        ).to_arrow_table()

    def table(self, relation: str) -> duckdb.DuckDBPyRelation:
        """A table as a DuckDB relation, to write elsewhere (Parquet) without reading it here."""
        return self.con.table(relation)

    def drop(self, relation: str) -> None:
        """Forget a relation materialised for this run."""
        self.con.execute(f"drop table if exists temp.{_identifier(relation)}")

    def drop_view(self, view: str) -> None:
        """Forget a temp view of this run."""
        self.con.execute(f"drop view if exists temp.{_identifier(view)}")

    # -- writes: the rows come from a file of sql/ or from Arrow -----------------------------
    def insert(self, table: str, name: str, params: Mapping[str, Any] | None = None) -> int:
        """Add the rows of `sql/<name>.sql` to `table`, columns matched by name (those the
        query lacks get their default); return how many."""
        text = load_sql(name).rstrip().rstrip(";")
        used = bind_parameters(name, params)
        row = self._one(f"insert into {_identifier(table)} by name ({text})", used)
        return int(row[0]) if row else 0

    def append(self, table: str, rows: pa.Table) -> int:
        """Add the rows of an Arrow table made in Python to `table`, columns matched by name;
        return how many."""
        with self.inputs(zaitaku_appended_arrow=rows):
            row = self._one(
                f"insert into {_identifier(table)} by name select * from zaitaku_appended_arrow"
            )
        return int(row[0]) if row else 0

    def delete_rows(self, table: str, where: Mapping[str, Any]) -> int:
        """Delete the rows of `table` whose columns equal `where`'s values; return how many."""
        condition, params = _equal(where)
        assert condition, "delete_rows deletes the rows matching something, never all"
        row = self._one(f"delete from {_identifier(table)}{condition}", params)
        return int(row[0]) if row else 0

    def delete_matching(self, table: str, keys: str, on: list[str]) -> int:
        """Delete the rows of `table` that equal a row of the relation `keys` on the columns
        `on` (null equal to null: a claim without 保険者番号 is a pair of its own); return how
        many were deleted."""
        row = self._one(
            f"delete from {_identifier(table)} "
            f"where exists ({_matching(_identifier(table), keys, on)})"
        )
        return int(row[0]) if row else 0

    def ingests_matching(
        self, table: str, keys: str, on: list[str], *, distinct: str | None = None
    ) -> list[tuple[int, str, int]]:
        """What delete_matching would take from each ingest: (ingest id, file name, rows) in
        ingest order, or distinct values of the column `distinct` instead of rows."""
        counted = f"count(distinct t.{_identifier(distinct)})" if distinct else "count(*)"
        rows = self.con.execute(
            f"select t.ingest_id, l.file_name, {counted} "
            f"from {_identifier(table)} as t "
            "inner join ingest_log as l on l.ingest_id = t.ingest_id "
            f"where exists ({_matching('t', keys, on)}) "
            "group by t.ingest_id, l.file_name order by t.ingest_id"
        ).fetchall()
        return [(int(i), str(f), int(n)) for i, f, n in rows]

    def prune(self, table: str, column: str, referenced_by: str) -> int:
        """Delete the rows of `table` whose `column` no row of `referenced_by` holds any more;
        return how many."""
        col, ref = _identifier(column), _identifier(referenced_by)
        row = self._one(
            f"delete from {_identifier(table)} "
            f"where {col} not in (select distinct {col} from {ref})"
        )
        return int(row[0]) if row else 0

    # -- ingest log ------------------------------------------------------------------------
    def find_ingest(self, sha256: str, kind: str) -> IngestRecord | None:
        """The first ingest of this exact file still in the warehouse (a removed one is not:
        the file loads again)."""
        row = self._one(
            "select ingest_id, kind, file_name, sha256, as_of, rows_loaded, ingested_at "
            "from ingest_log where sha256 = $sha and kind = $kind and removed_at is null "
            "order by ingest_id limit 1",
            {"sha": sha256, "kind": kind},
        )
        return IngestRecord(*row) if row else None

    def intact_ingest(self, sha256: str, kind: str) -> IngestRecord | None:
        """The latest ingest of this exact file whose rows are all still in: not removed, and
        none of its (保険者番号, 診療年月) pairs replaced since (claims)."""
        row = self._one(
            """
            select ingest_id, kind, file_name, sha256, as_of, rows_loaded, ingested_at
            from ingest_log as l
            where sha256 = $sha and kind = $kind and removed_at is null
                and not exists (
                    select 1 from claim_replacements as r
                    where r.replaced_ingest_id = l.ingest_id
                )
            order by ingest_id desc
            limit 1
            """,
            {"sha": sha256, "kind": kind},
        )
        return IngestRecord(*row) if row else None

    def still_loaded(self, sha256: str, kind: str, table: str) -> tuple[Any, ...] | None:
        """(ingest id, as of, prefectures, file name) of the latest ingest of this exact file
        whose rows are still in `table` (one refused or wholly replaced does not count)."""
        return self._one(
            f"""
            select l.ingest_id, l.as_of, l.pref_codes, l.file_name
            from ingest_log as l
            where l.sha256 = $sha and l.kind = $kind
                and exists (
                    select 1 from {_identifier(table)} as t where t.ingest_id = l.ingest_id
                )
            order by l.ingest_id desc
            limit 1
            """,
            {"sha": sha256, "kind": kind},
        )

    def new_ingest(
        self,
        *,
        kind: str,
        path: Path,
        sha256: str,
        as_of: date | None,
        pref_codes: list[str],
        rows_read: int,
        rows_loaded: int,
        rows_rejected: int,
        details: Mapping[str, Any],
    ) -> int:
        """Record one ingested file (inside the caller's transaction) and return its id."""
        row = self._one(
            """
            insert into ingest_log (kind, file_name, file_path, sha256, as_of, pref_codes,
                rows_read, rows_loaded, rows_rejected, ingested_at, zaitaku_version, details)
            values ($kind, $name, $path, $sha, $as_of, $prefs, $read, $loaded, $rejected,
                current_localtimestamp(), $version, $details)
            returning ingest_id
            """,
            {
                "kind": kind,
                "name": path.name,
                "path": str(path),
                "sha": sha256,
                "as_of": as_of,
                "prefs": ",".join(sorted(pref_codes)),
                "read": rows_read,
                "loaded": rows_loaded,
                "rejected": rows_rejected,
                "version": __version__,
                "details": json.dumps(details, ensure_ascii=False, default=str),
            },
        )
        assert row is not None
        return int(row[0])

    def update_ingest(
        self,
        ingest_id: int,
        *,
        rows_loaded: int,
        rows_rejected: int,
        rows_read: int | None = None,
        pref_codes: list[str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Record what loading a file found once it is known (None: leave as recorded)."""
        self.con.execute(
            """
            update ingest_log set
                rows_loaded = $loaded,
                rows_rejected = $rejected,
                rows_read = coalesce($read, rows_read),
                pref_codes = coalesce($prefs, pref_codes),
                details = coalesce($details, details)
            where ingest_id = $id
            """,
            {
                "loaded": rows_loaded,
                "rejected": rows_rejected,
                "read": rows_read,
                "prefs": ",".join(sorted(pref_codes)) if pref_codes is not None else None,
                "details": (
                    json.dumps(details, ensure_ascii=False, default=str)
                    if details is not None
                    else None
                ),
                "id": ingest_id,
            },
        )

    def last_ingest_id(self) -> int:
        """The newest ingest id (0 for none): ingests after it are those of a later run."""
        row = self._one("select coalesce(max(ingest_id), 0) from ingest_log")
        return int(row[0]) if row else 0

    def ingests_after(self, ingest_id: int) -> list[tuple[int, str]]:
        """(ingest id, file path) of the ingests committed after `ingest_id`, in order."""
        return [
            (int(r[0]), str(r[1]))
            for r in self.fetch_all(
                "select ingest_id, file_path from ingest_log where ingest_id > $id "
                "order by ingest_id",
                {"id": ingest_id},
            )
        ]

    def ingests(self) -> list[dict[str, Any]]:
        """Every ingested file, removed ones included, with its state: loaded, removed,
        replaced (another file superseded all of its rows) or partly replaced (claims)."""
        cur = self.con.execute(
            """
            select ingest_id, kind, file_name, sha256, as_of, pref_codes, rows_read,
                rows_loaded, rows_rejected, ingested_at,
                case
                    when removed_at is not null then 'removed'
                    when kind = 'claims' and ingest_id in (
                        select replaced_ingest_id from claim_replacements
                    ) then
                        case
                            when ingest_id in (select ingest_id from claim_pairs)
                                then 'partly replaced'
                            else 'replaced'
                        end
                    when kind = 'facility_counts' and rows_loaded > 0
                        and ingest_id not in (select ingest_id from facility_counts)
                        then 'replaced'
                    else 'loaded'
                end as state,
                removed_at
            from ingest_log
            order by ingest_id
            """
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def mark_removed(self, ingest_id: int, *, rows: int) -> datetime:
        """Record that `zaitaku remove` took the file's rows out (inside its transaction);
        return when."""
        row = self._one(
            "update ingest_log set removed_at = current_localtimestamp(), removed_rows = $rows "
            "where ingest_id = $id returning removed_at",
            {"rows": rows, "id": ingest_id},
        )
        assert row is not None
        removed_at: datetime = row[0]
        return removed_at

    # -- export log ------------------------------------------------------------------------
    def log_export(self, level: str, manifest: Mapping[str, Any]) -> None:
        """Record a published set (inside the set's block: a set that fails to publish is not
        recorded as exported)."""
        self.con.execute(
            "insert into export_log values (current_localtimestamp(), $level, $manifest)",
            {"level": level, "manifest": json.dumps(manifest, ensure_ascii=False, default=str)},
        )

    # -- run history -----------------------------------------------------------------------
    def running_runs(self, host: str) -> list[tuple[int, int]]:
        """(run id, pid) of the runs of `host` recorded as running."""
        return [
            (int(run_id), int(pid))
            for run_id, pid in self.con.execute(
                "select run_id, pid from run_history where status = 'running' and host = $host",
                {"host": host},
            ).fetchall()
        ]

    def mark_run_killed(self, run_id: int) -> None:
        self.con.execute(
            "update run_history set status = 'killed' where run_id = $id", {"id": run_id}
        )

    def record_run_start(self, command: str, *, host: str, pid: int) -> int:
        """A new row of run_history, status running; return its id."""
        row = self._one(
            """
            insert into run_history (command, started_at, status, host, pid, files, outputs,
                warnings)
            values ($command, current_localtimestamp(), 'running', $host, $pid, '[]', '[]', '[]')
            returning run_id
            """,
            {"command": command, "host": host, "pid": pid},
        )
        assert row is not None
        return int(row[0])

    def record_run_end(
        self,
        run_id: int,
        *,
        status: str,
        exit_code: int,
        files: str,
        outputs: str,
        warnings: str,
        error: str | None,
        seconds: float,
    ) -> None:
        """Complete a run's row (files, outputs and warnings as JSON texts)."""
        self.con.execute(
            """
            update run_history set ended_at = current_localtimestamp(), status = $status,
                exit_code = $code, files = $files, outputs = $outputs, warnings = $warnings,
                error = $error, seconds = $seconds
            where run_id = $id
            """,
            {
                "status": status,
                "code": exit_code,
                "files": files,
                "outputs": outputs,
                "warnings": warnings,
                "error": error,
                "seconds": seconds,
                "id": run_id,
            },
        )

    # -- secrets ---------------------------------------------------------------------------
    def hmac_key(self) -> bytes:
        """The per-warehouse HMAC key for person keys: generated once, kept in the warehouse."""
        row = self._one(
            "select value from warehouse_secret where name = $n", {"n": HMAC_SECRET_NAME}
        )
        if row:
            return bytes(row[0])
        key = secrets.token_bytes(32)
        self.con.execute(
            "insert into warehouse_secret values ($n, $v)", {"n": HMAC_SECRET_NAME, "v": key}
        )
        return key


def connect_read_only(path: Path) -> WarehouseRecords:
    """The warehouse's records through a read-only connection, for commands that must change
    nothing (refresh --dry-run, runs): no migration, no folder created, the file's bytes
    untouched. Close it when done."""
    if not path.is_file():
        raise WarehouseError("no warehouse at {path}", path=path)
    try:
        return WarehouseRecords(duckdb.connect(str(path), read_only=True))
    except duckdb.Error as exc:
        raise WarehouseError(
            "cannot open warehouse {path} to read it: {reason}", path=path, reason=exc
        ) from exc


def _busy(path: Path, message: str) -> WarehouseBusy:
    """DuckDB's lock conflict as the analyst's situation, naming the holder when DuckDB does."""
    holder = re.search(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)", message)
    return WarehouseBusy(
        "the warehouse {path} is in use by another process (pid {pid}, {program}), probably "
        "another zaitaku run: nothing was done. Run again when it has finished (exit code 75: "
        "try again later)"
        if holder
        else "the warehouse {path} is in use by another process, probably another zaitaku "
        "run: nothing was done. Run again when it has finished (exit code 75: try again later)",
        path=path,
        pid=holder["pid"] if holder else None,
        program=holder["program"] if holder else None,
    )


def _identifier(name: str) -> str:
    """A relation name as a quoted SQL identifier (names come from code, never from input)."""
    return '"' + name.replace('"', '""') + '"'


def _equal(where: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """` where a = $v0 and b is null` for {"a": 1, "b": None}, and its parameters."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, (column, value) in enumerate((where or {}).items()):
        if value is None:
            parts.append(f"{_identifier(column)} is null")
        else:
            parts.append(f"{_identifier(column)} = $v{i}")
            params[f"v{i}"] = value
    return (" where " + " and ".join(parts) if parts else ""), params


def _matching(outer: str, keys: str, on: list[str]) -> str:
    """A subquery finding a row of `keys` equal to the row of `outer` (an alias or a quoted
    table name) on the columns `on`, null equal to null."""
    equal = " and ".join(
        f"k.{_identifier(c)} is not distinct from {outer}.{_identifier(c)}" for c in on
    )
    return f"select 1 from {_identifier(keys)} as k where {equal}"


def open_warehouse(path: Path, *, memory_limit: str = "1GB") -> Warehouse:
    return Warehouse(path, memory_limit=memory_limit)
