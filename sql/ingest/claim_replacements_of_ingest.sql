-- claim_replacements_of_ingest: what ingest $ingest_id replaced, as claim_replacements records it
-- (which earlier ingest lost which pair, with its lines, and when).
-- Grain: one row per replaced (earlier ingest, insurer_no, service_month).
-- Reads: claim_pairs_replaced. Parameters: $ingest_id.

with

replaced as (
    select ingest_id, insurer_no, service_month, lines
    from claim_pairs_replaced
),

final as (
    select
        $ingest_id as ingest_id,
        ingest_id as replaced_ingest_id,
        insurer_no,
        service_month,
        lines,
        current_localtimestamp() as replaced_at
    from replaced
)

select ingest_id, replaced_ingest_id, insurer_no, service_month, lines, replaced_at
from final
