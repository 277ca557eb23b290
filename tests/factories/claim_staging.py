"""Run the claims staging SQL on a handful of raw values, without a file or an ingest."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa

from zaitaku_cli.readers.wareki import ERAS
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
    ends: list[date | None] = [nxt.starts - timedelta(days=1) for nxt in ERAS[1:]]
    con.register(
        "ref_eras",
        pa.table(
            {
                "era_code": pa.array(range(1, len(ERAS) + 1), pa.int32()),
                "era_name": [e.name for e in ERAS],
                "era_letter": [e.letter for e in ERAS],
                "first_year": pa.array([e.first_year for e in ERAS], pa.int32()),
                "starts": pa.array([e.starts for e in ERAS], pa.date32()),
                "ends": pa.array([*ends, None], pa.date32()),
            }
        ),
    )
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
    con.execute(f"create temp table stg_claim_eras as {load_sql('staging/stg_claim_eras')}")
    return con


def stage(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[str | None]]
) -> list[dict[str, object]]:
    """Rows of `sql/staging/<name>.sql` over raw_claim_lines holding `columns`."""
    con.register(
        "raw_claim_lines", pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    )
    try:
        cursor = con.execute(load_sql(f"staging/{name}"))
        cols = [d[0] for d in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.unregister("raw_claim_lines")
