-- claim_overlaps_insurer_unknown: service months where the claims ingest being loaded and an
-- earlier file meet with 保険者番号 on one side only: maybe the same claims counted twice, which
-- ingest_claims warns about (only equal pairs are refused or replaced).
-- Grain: one row per (service month 'YYYY-MM', earlier file), by month then ingest.
-- Reads: stg_claim_overlaps.

with

found as (
    select service_month, earlier_file_name, earlier_ingest_id, overlap
    from stg_claim_overlaps
),

final as (
    select distinct
        strftime(service_month, '%Y-%m') as month,
        earlier_file_name,
        earlier_ingest_id
    from found
    where overlap = 'insurer_unknown'
)

select month, earlier_file_name, earlier_ingest_id
from final
order by month, earlier_ingest_id
