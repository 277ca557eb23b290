-- claim_pairs_replaced: the (保険者番号, 診療年月) pairs of earlier files that the claims ingest being
-- loaded with --replace supersedes, keyed like claim_lines and claim_pairs (ingest_id = the
-- earlier ingest) so that their rows there can be deleted by these keys.
-- Grain: one row per (earlier ingest, insurer_no, service_month), with the lines it held.
-- Reads: stg_claim_overlaps.

with

found as (
    select earlier_ingest_id, insurer_no, service_month, earlier_lines, overlap
    from stg_claim_overlaps
),

final as (
    select
        earlier_ingest_id as ingest_id,
        insurer_no,
        service_month,
        earlier_lines as lines
    from found
    where overlap = 'same'
)

select ingest_id, insurer_no, service_month, lines from final
