-- claim_rejects_of_ingest: the rejected lines of the claims extract being ingested as the table
-- `rejects` keeps them under ingest $ingest_id: line, column, reason and the shape of the value
-- (never the value itself: see readers/claims_parsing.py and claims_raw_view.py).
-- Grain: one row per (line, column) reject.
-- Reads: stg_claim_rejects. Parameters: $ingest_id, $kind, $file_name.

with

rejects as (
    select line_no, column_name, reason, value, raw_row
    from stg_claim_rejects
),

final as (
    select
        $ingest_id as ingest_id,
        $kind as kind,
        $file_name as file_name,
        line_no as row_number,
        column_name,
        reason,
        value,
        raw_row
    from rejects
)

select ingest_id, kind, file_name, row_number, column_name, reason, value, raw_row
from final
