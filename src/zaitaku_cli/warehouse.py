"""The DuckDB warehouse: bounded-memory connection, migrations, reference tables, ingest log."""

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


class Warehouse:
    """One open DuckDB warehouse. Use as a context manager; every ingest is one transaction.

    It is also the DuckDB engine of zaitaku.engine.Engine (materialize, arrow, scalar, …).
    """

    name = "duckdb"

    def __init__(self, path: Path, *, memory_limit: str = "1GB", threads: int | None = None):
        self.path = path
        self.memory_limit = memory_limit
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path))
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
            self.con.execute(f"set threads = {int(threads)}")
        try:
            self.migrate()
            register_reference_tables(self.con)
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

    def close(self) -> None:
        self.con.close()

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

    # -- SQL -------------------------------------------------------------------------------
    def _one(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        # fetchall, not fetchone: DuckDB 2 refuses new work while a result is unfinished.
        rows = self.con.execute(query, params or {}).fetchall()
        return rows[0] if rows else None

    def fetch_all(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or {}).fetchall()

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

    def count_rows(self, relation: str) -> int:
        """Rows of a table or of a relation materialised for this run."""
        row = self._one(f"select count(*) from {_identifier(relation)}")
        return int(row[0]) if row else 0

    def drop(self, relation: str) -> None:
        """Forget a relation materialised for this run."""
        self.con.execute(f"drop table if exists temp.{_identifier(relation)}")

    @property
    def warehouse(self) -> Warehouse:
        """The warehouse an engine reads (for DuckDB, itself)."""
        return self

    def read(self, relation: str, columns: list[str]) -> pa.Table:
        """`columns` of a relation materialised for this run (or of a table), as Arrow."""
        listed = ", ".join(_identifier(c) for c in columns)
        return self.con.sql(f"select {listed} from {_identifier(relation)}").to_arrow_table()

    def register(self, relation: str, table: pa.Table) -> str:
        """An Arrow table made in Python as a relation later SQL reads by name."""
        self.con.register("zaitaku_registered_arrow", table)
        try:
            self.con.execute(
                f"create or replace temp table {_identifier(relation)} as "
                "select * from zaitaku_registered_arrow"
            )
        finally:
            self.con.unregister("zaitaku_registered_arrow")
        return relation

    def view(self, name: str) -> str:
        """Define `sql/<name>.sql` as a temp view named after the file: a query read once,
        straight into its consumer, need not be stored (DuckDB views take no parameters)."""
        view = name.rsplit("/", 1)[-1]
        text = load_sql(name).rstrip().rstrip(";")
        self.con.execute(f"create or replace temp view {view} as {text}")
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
        self.con.execute(f"create or replace temp table {table} as {text}", used)
        return table

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

    def mark_removed(self, ingest_id: int, *, rows: int) -> None:
        """Record that `zaitaku remove` took the file's rows out (inside its transaction)."""
        self.con.execute(
            "update ingest_log set removed_at = current_localtimestamp(), removed_rows = $rows "
            "where ingest_id = $id",
            {"rows": rows, "id": ingest_id},
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


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection, for commands that must change nothing (refresh --dry-run, runs):
    no migration, no folder created, the file's bytes untouched."""
    if not path.is_file():
        raise WarehouseError("no warehouse at {path}", path=path)
    try:
        return duckdb.connect(str(path), read_only=True)
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


def open_warehouse(path: Path, *, memory_limit: str = "1GB") -> Warehouse:
    return Warehouse(path, memory_limit=memory_limit)
