-- claim_overlaps_same: the (保険者番号, 診療年月) pairs of the claims ingest being loaded that other
-- files hold already: the grain rule refuses them, or --replace supersedes the other files' lines.
-- Grain: one row per (pair, earlier ingest holding it), by month, insurer (null first), ingest.
-- Reads: stg_claim_overlaps.

with

final as (
    select
        insurer_no,
        service_month,
        lines,
        earlier_ingest_id,
        earlier_file_name,
        earlier_ingested_at,
        earlier_lines
    from stg_claim_overlaps
    where overlap = 'same'
)

select
    insurer_no, service_month, lines, earlier_ingest_id, earlier_file_name, earlier_ingested_at,
    earlier_lines
from final
order by service_month, insurer_no nulls first, earlier_ingest_id
