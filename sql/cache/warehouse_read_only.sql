-- warehouse_read_only: whether this connection opened the warehouse read-only (then the claims
-- cells cache is read, never written).
-- Grain: one row.
-- Reads: duckdb_databases() (DuckDB's catalogue: the warehouse side only).

with

final as (
    select readonly
    from duckdb_databases()
    where database_name = current_database()
)

select readonly from final
