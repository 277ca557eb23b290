"""Run the claims staging SQL on a handful of raw values, without a file or an ingest."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from zaitaku_cli.readers.claims_extract import canonical_columns
from zaitaku_cli.readers.wareki import era_table
from zaitaku_cli.reference import register_reference_tables
from zaitaku_cli.sql_files import load_sql, migration_files


def staging_connection() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the reference tables, the era table the ingest registers and an
    empty value map (no mapping file)."""
    con = duckdb.connect()
    for _, migration in migration_files():
        con.execute(migration.read_text(encoding="utf-8"))
    register_reference_tables(con)
    ref_codes = load_sql("staging/ref_claim_codes")
    con.execute(f"create temp view ref_claim_codes as {ref_codes}")
    con.register("ref_eras", era_table())
    con.register(
        "claim_value_map",
        pa.table(
            {
                "column_key": pa.array([], pa.string()),
                "from_value": pa.array([], pa.string()),
                "to_value": pa.array([], pa.string()),
            }
        ),
    )
    return con


def stage(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[str | None]]
) -> list[dict[str, object]]:
    """Rows of `sql/staging/<name>.sql` over raw_claim_lines holding `columns` (every other
    canonical column null, as for an extract without it)."""
    rows = len(next(iter(columns.values())))
    full = {k: columns.get(k, [None] * rows) for k in canonical_columns()}
    con.register(
        "raw_claim_lines", pa.table({k: pa.array(v, pa.string()) for k, v in full.items()})
    )
    try:
        cursor = con.execute(load_sql(f"staging/{name}"))
        cols = [d[0] for d in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.unregister("raw_claim_lines")
